/**
 * Replay of recorded `remediation` histories (test/fixtures/histories/remediation-*.binpb), recorded
 * before notifications (issue 20) changed the workflow: today's code must replay them (its new
 * commands sit behind `patched('notify-v1')`).
 *
 * Re-record after an intended, versioned change with:
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
/** Fixture name → the app and rule of the incident it holds. */
const FIXTURE_INCIDENTS: Record<string, { app: string; rule: RuleName }> = {
  'remediation-approved': { app: 'rpappr', rule: 'burn_spike' },
  'remediation-automatic': { app: 'rpauto', rule: 'noisy_tenant' },
  'remediation-timed-out': { app: 'rptmo', rule: 'burn_spike' },
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

  it('records an approved, an automatic and a timed-out incident', async () => {
    const policies = new OpsPolicies(kit.mongo, kit.redis);
    await policies.put('rpappr', { promotion_after_approvals: null, rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 60 } } }, 'admin', new Date());
    await policies.put('rpauto', { rules: { noisy_tenant: { autonomy: 'automatic', ttl_seconds: 60 } } }, 'admin', new Date());
    await policies.put('rptmo', { promotion_after_approvals: null, approval_timeout_seconds: 120, rules: { burn_spike: { autonomy: 'approval', fallback_action: 'throttle', ttl_seconds: 60 } } }, 'admin', new Date());
    await kit.withWorker(async () => {
      for (const { app, rule } of Object.values(FIXTURE_INCIDENTS)) {
        await kit.activities.raiseAlerts({ findings: [finding(app, rule)] });
        const handle = env.client.workflow.getHandle<typeof remediation>(workflowIds.incident(app, rule));
        if (app === 'rpappr') {
          for (let i = 0; i < 200 && (await handle.query(remediationStatusQuery)).status !== 'awaiting_approval'; i++) await new Promise((r) => setTimeout(r, 50));
          await handle.signal(approveSignal, { actor: 'admin:alice' });
        }
        await handle.result();
      }
    });
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const [name, { app, rule }] of Object.entries(FIXTURE_INCIDENTS)) {
      fs.writeFileSync(fixtureFile(name), temporal.api.history.v1.History.encode(await rawHistory(env, workflowIds.incident(app, rule))).finish());
    }
  });
});

describe.skipIf(recording)('replaying recorded remediation histories', () => {
  const load = (name: string) => temporal.api.history.v1.History.decode(fs.readFileSync(fixtureFile(name)));

  it.each(Object.keys(FIXTURE_INCIDENTS))('replays %s without nondeterminism', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, load(name), `replay-${name}`)).resolves.toBeUndefined();
  });
});
