/**
 * Replay of recorded `remediation` histories (test/fixtures/histories/remediation-*.binpb): the
 * ones recorded before notifications (issue 20) changed the workflow — today's code must replay
 * them (its new commands sit behind `patched('notify-v1')`), and they are never re-recorded — and
 * the ones of today's code (notify-v1: an approval that escalates on its timer, then is approved;
 * an automatic incident).
 *
 * Re-record today's after an intended, versioned change with:
 *   RECORD_HISTORIES=1 npx vitest run test/workflows/remediation-replay.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, RuleName } from '../../src/domain/ops';
import { OpsPolicies } from '../../src/stores/ops-policies';
import { workflowIds } from '../../src/workflows/contract';
import { approveSignal, remediationStatusQuery } from '../../src/workflows/ops-contract';
import type { remediation } from '../../src/workflows/remediation';
import { rawHistory } from '../support/histories';
import { createOpsKit, type OpsKit } from '../support/ops-kit';
import { startTimeSkipping } from '../support/temporal';
import { workflowBundle } from '../support/workflow-bundle';

const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const recording = process.env.RECORD_HISTORIES === '1';
/** Fixture name → the app and rule of the incident it holds: recorded before notify-v1, kept as they are. */
const LEGACY_INCIDENTS: Record<string, { app: string; rule: RuleName }> = {
  'remediation-approved': { app: 'rpappr', rule: 'burn_spike' },
  'remediation-automatic': { app: 'rpauto', rule: 'noisy_tenant' },
  'remediation-timed-out': { app: 'rptmo', rule: 'burn_spike' },
};
/** Recorded from today's code. */
const CURRENT_INCIDENTS: Record<string, { app: string; rule: RuleName }> = {
  'remediation-notify-v1-escalated-approved': { app: 'rpv1esc', rule: 'burn_spike' },
  'remediation-notify-v1-automatic': { app: 'rpv1auto', rule: 'noisy_tenant' },
};
const fixtureFile = (name: string) => path.join(FIXTURES, `${name}.binpb`);

function finding(appId: string, rule: RuleName): Finding {
  return { rule, app_id: appId, severity: 'act', summary: `${appId} fired ${rule}`, evidence: { x: 1 }, proposed_action: 'throttle' };
}

describe.runIf(recording)('recording remediation histories', () => {
  let env: TestWorkflowEnvironment;
  let kit: OpsKit;
  beforeAll(async () => {
    env = await startTimeSkipping();
    kit = await createOpsKit(env, 'remrecord');
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
    await env?.teardown();
  });

  it('records an escalated-then-approved and an automatic incident', async () => {
    const policies = new OpsPolicies(kit.mongo, kit.redis);
    await policies.put('rpv1esc', {
      promotion_after_approvals: null,
      approval_timeout_seconds: 600,
      rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 60 } },
      notifications: { escalation_channels: ['log'], escalate_after_seconds: 60 },
    }, 'admin', new Date());
    await policies.put('rpv1auto', { rules: { noisy_tenant: { autonomy: 'automatic', ttl_seconds: 60 } } }, 'admin', new Date());
    const waitUntil = async (ok: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await kit.withWorker(async () => {
      for (const { app, rule } of Object.values(CURRENT_INCIDENTS)) {
        await kit.activities.raiseAlerts({ findings: [finding(app, rule)] });
        const handle = env.client.workflow.getHandle<typeof remediation>(workflowIds.incident(app, rule));
        if (app === 'rpv1esc') {
          await waitUntil(async () => (await handle.query(remediationStatusQuery)).status === 'awaiting_approval');
          await env.sleep(61_000);
          await waitUntil(async () => kit.notices.some((notice) => notice.app_id === app && notice.kind === 'approval_escalated'));
          await handle.signal(approveSignal, { actor: 'admin:alice' });
        }
        await handle.result();
      }
    });
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const [name, { app, rule }] of Object.entries(CURRENT_INCIDENTS)) {
      fs.writeFileSync(fixtureFile(name), temporal.api.history.v1.History.encode(await rawHistory(env, workflowIds.incident(app, rule))).finish());
    }
  });
});

describe.skipIf(recording)('replaying recorded remediation histories', () => {
  const load = (name: string) => temporal.api.history.v1.History.decode(fs.readFileSync(fixtureFile(name)));

  it.each([...Object.keys(LEGACY_INCIDENTS), ...Object.keys(CURRENT_INCIDENTS)])('replays %s without nondeterminism', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, load(name), `replay-${name}`)).resolves.toBeUndefined();
  });
});
