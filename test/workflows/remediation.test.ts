/**
 * Every remediation playbook path on the time-skipping test server with the real ops activities
 * (FerretDB, Redis): automatic action and its revert on a durable timer, approval, rejection,
 * approval timeout → safe action, escalation, shadow mode, promotion; and the monitor opening one
 * incident (not many) for a repeated finding.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, IncidentDoc, OpsPolicyOverrides, RuleName } from '../../src/domain/ops';
import { AppCounters } from '../../src/stores/app-counters';
import { AuditRepository } from '../../src/stores/audit-repository';
import { Incidents } from '../../src/stores/incidents';
import { OpsControls } from '../../src/stores/ops-controls';
import { OpsPolicies } from '../../src/stores/ops-policies';
import { workflowIds } from '../../src/workflows/contract';
import type { opsMonitor } from '../../src/workflows/ops-monitor';
import { alertSignal, approveSignal, rejectSignal, remediationStatusQuery, type RemediationStatus } from '../../src/workflows/ops-contract';
import type { remediation } from '../../src/workflows/remediation';
import type { RemediationResult } from '../../src/workflows/ops-contract';
import { createOpsKit, type OpsKit } from '../support/ops-kit';
import { startTimeSkipping } from '../support/temporal';

let env: TestWorkflowEnvironment;
let kit: OpsKit;

beforeAll(async () => {
  env = await startTimeSkipping();
  kit = await createOpsKit(env, 'remediation');
}, 120_000);

afterAll(async () => {
  await kit?.close();
  await env?.teardown();
});

function finding(appId: string, rule: RuleName = 'noisy_tenant'): Finding {
  return {
    rule,
    app_id: appId,
    severity: 'act',
    summary: `${appId} is noisy`,
    evidence: { active_runs: 10, total_active_runs: 12 },
    proposed_action: rule === 'error_spike' ? 'pause' : 'throttle',
  };
}

async function policy(appId: string, overrides: OpsPolicyOverrides): Promise<void> {
  await new OpsPolicies(kit.mongo, kit.redis).put(appId, overrides, 'admin', new Date());
}

async function raise(f: Finding) {
  await kit.activities.raiseAlerts({ findings: [f] });
  return env.client.workflow.getHandle<typeof remediation>(workflowIds.incident(f.app_id, f.rule));
}

async function until(handle: Awaited<ReturnType<typeof raise>>, ok: (status: RemediationStatus) => boolean): Promise<RemediationStatus> {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(remediationStatusQuery);
    if (ok(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('remediation never reached the expected state');
}

async function incident(appId: string, result: RemediationResult): Promise<IncidentDoc> {
  const doc = await new Incidents(kit.mongo, kit.redis).get(appId, result.incidentId);
  if (!doc) throw new Error('incident not stored');
  return doc;
}

const kinds = (doc: IncidentDoc) => doc.steps.map((step) => step.kind);
const controls = () => new OpsControls(kit.redis);

describe('remediation', () => {
  it('automatic: throttles at once, reverts after the TTL on a durable timer, audited', async () => {
    await policy('auto', { rules: { noisy_tenant: { autonomy: 'automatic', ttl_seconds: 600, throttle_factor: 0.25 } } });
    await kit.withWorker(async () => {
      const handle = await raise(finding('auto'));
      await until(handle, (s) => s.status === 'mitigated');
      expect((await controls().state('auto')).throttle).toMatchObject({ factor: 0.25 });
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'resolved', applied: ['throttle'], escalations: 0 });
      expect(await controls().state('auto')).toEqual({ paused: false });
      const doc = await incident('auto', result);
      expect(kinds(doc)).toEqual(['opened', 'applied', 'explained', 'reverted', 'resolved']);
      expect(doc).toMatchObject({ status: 'resolved', summary_source: 'plain', plan: { autonomy: 'automatic', promoted: false } });
      expect(doc.closed_at).toBeInstanceOf(Date);
    });
    const audit = new AuditRepository(kit.mongo);
    expect(await audit.verifyAppAuditChain('auto')).toMatchObject({ valid: true });
  });

  it('approval: waits, acts on approve (named in the incident), then reverts', async () => {
    await policy('appr', { promotion_after_approvals: null, rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 300 } } });
    await kit.withWorker(async () => {
      const handle = await raise(finding('appr', 'burn_spike'));
      await until(handle, (s) => s.status === 'awaiting_approval');
      expect(await controls().state('appr')).toEqual({ paused: false });
      expect(kit.notices.some((n) => n.app_id === 'appr' && n.kind === 'approval_requested')).toBe(true);
      await handle.signal(approveSignal, { actor: 'admin:alice', note: 'go' });
      await until(handle, (s) => s.status === 'mitigated');
      expect((await controls().state('appr')).throttle).toBeDefined();
      const doc = await incident('appr', await handle.result());
      expect(kinds(doc)).toEqual(['opened', 'explained', 'proposed', 'approved', 'applied', 'reverted', 'resolved']);
      expect(doc.decision).toBe('approved');
      expect(doc.steps.find((s) => s.kind === 'approved')?.actor).toBe('admin:alice');
    });
  });

  it('rejection: nothing is applied', async () => {
    await policy('rej', { promotion_after_approvals: null, rules: { burn_spike: { autonomy: 'approval' } } });
    await kit.withWorker(async () => {
      const handle = await raise(finding('rej', 'burn_spike'));
      await until(handle, (s) => s.status === 'awaiting_approval');
      await handle.signal(rejectSignal, { actor: 'admin:bob' });
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'rejected', applied: [] });
      expect(kinds(await incident('rej', result))).toEqual(['opened', 'explained', 'proposed', 'rejected', 'resolved']);
      expect(await controls().state('rej')).toEqual({ paused: false });
    });
  });

  it('approval timeout: falls back to the safe action and notifies', async () => {
    await policy('tmo', {
      promotion_after_approvals: null,
      approval_timeout_seconds: 900,
      rules: { burn_spike: { autonomy: 'approval', action: 'pause', fallback_action: 'throttle', ttl_seconds: 60 } },
    });
    await kit.withWorker(async () => {
      const handle = await raise(finding('tmo', 'burn_spike'));
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'resolved', applied: ['throttle'] });
      const doc = await incident('tmo', result);
      expect(kinds(doc)).toEqual(['opened', 'explained', 'proposed', 'approval_timed_out', 'applied', 'reverted', 'resolved']);
      expect(doc.decision).toBe('timed_out');
      expect(kit.notices.some((n) => n.app_id === 'tmo' && n.kind === 'approval_timed_out')).toBe(true);
    });
  });

  it('escalation: a condition that persists through the TTL escalates, then reverts everything', async () => {
    await policy('esc', { max_escalations: 1, rules: { noisy_tenant: { autonomy: 'automatic', escalation_action: 'pause', ttl_seconds: 120 } } });
    await kit.withWorker(async () => {
      const f = finding('esc');
      const handle = await raise(f);
      await until(handle, (s) => s.status === 'mitigated');
      await handle.signal(alertSignal, f); // the monitor saw it again while throttled
      await until(handle, (s) => s.alerts >= 2);
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'resolved', applied: ['throttle', 'pause'], escalations: 1 });
      const doc = await incident('esc', result);
      expect(kinds(doc)).toEqual(['opened', 'applied', 'explained', 'escalated', 'reverted', 'reverted', 'resolved']);
      expect(await controls().state('esc')).toEqual({ paused: false });
      expect(kit.notices.some((n) => n.app_id === 'esc' && n.kind === 'escalated')).toBe(true);
    });
  });

  it('shadow: records what it would do and touches nothing', async () => {
    await policy('shd', { rules: { noisy_tenant: { autonomy: 'shadow', ttl_seconds: 60 } } });
    await kit.withWorker(async () => {
      const handle = await raise(finding('shd'));
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'resolved', applied: [] });
      const doc = await incident('shd', result);
      expect(kinds(doc)).toEqual(['opened', 'explained', 'shadowed', 'resolved']);
      expect(doc.steps.find((s) => s.kind === 'shadowed')?.detail).toMatch(/^would throttle/);
    });
  });

  it('promotion: after N approvals in a row the rule acts on its own, visible in the incident', async () => {
    await policy('prm', { promotion_after_approvals: 2, rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 60 } } });
    await kit.withWorker(async () => {
      for (let i = 0; i < 2; i++) {
        const handle = await raise(finding('prm', 'burn_spike'));
        await until(handle, (s) => s.status === 'awaiting_approval');
        await handle.signal(approveSignal, { actor: 'admin:alice' });
        expect(await handle.result()).toMatchObject({ status: 'resolved' });
      }
      const handle = await raise(finding('prm', 'burn_spike'));
      const result = await handle.result();
      const doc = await incident('prm', result);
      expect(doc.plan).toMatchObject({ autonomy: 'automatic', promoted: true });
      expect(kinds(doc)).toEqual(['opened', 'applied', 'explained', 'reverted', 'resolved']);
      expect(doc.steps[0]?.detail).toMatch(/promoted/);
    });
  });

  it('explanations: an LLM that is down gives the plain summary', async () => {
    const down = await createOpsKit(env, 'remediation-llm', { llmBaseUrl: 'http://127.0.0.1:9/v1' });
    try {
      await new OpsPolicies(down.mongo, down.redis).put('llm', { rules: { noisy_tenant: { autonomy: 'shadow', ttl_seconds: 10 } } }, 'admin', new Date());
      await down.withWorker(async () => {
        await down.activities.raiseAlerts({ findings: [finding('llm')] });
        const result = await env.client.workflow.getHandle<typeof remediation>(workflowIds.incident('llm', 'noisy_tenant')).result();
        const doc = await new Incidents(down.mongo, down.redis).get('llm', result.incidentId);
        expect(doc).toMatchObject({ summary_source: 'plain', summary: expect.stringContaining('Evidence: active_runs=10') });
        expect(doc?.suggested_action).toBeUndefined();
      });
    } finally {
      await down.close();
    }
  });
});

describe('opsMonitor', () => {
  it('a noisy app over N samples opens one incident; a second pass joins it', async () => {
    const counters = new AppCounters(kit.redis);
    await counters.increment('mon-noisy', { active_runs: 10 }, { dedupId: 'seed', at: new Date() });
    await counters.increment('mon-quiet', { active_runs: 1 }, { dedupId: 'seed', at: new Date() });
    await policy('mon-noisy', { rules: { noisy_tenant: { autonomy: 'shadow', consecutive_samples: 2, ttl_seconds: 600 } } });
    await kit.withWorker(async () => {
      const pass = () =>
        env.client.workflow.execute<typeof opsMonitor>('opsMonitor', {
          workflowId: `mon-${Math.random()}`,
          taskQueue: kit.taskQueue,
          args: [{ mode: 'pass', samples: 2, intervalSeconds: 1, realertSeconds: 0 }],
        });
      expect(await pass()).toMatchObject({ samples: 2, alerts: 1 });
      const handle = env.client.workflow.getHandle<typeof remediation>(workflowIds.incident('mon-noisy', 'noisy_tenant'));
      await until(handle, (s) => s.alerts === 1);
      await pass();
      await until(handle, (s) => s.alerts === 2);
      const open = await new Incidents(kit.mongo, kit.redis).list({ app_id: 'mon-noisy', limit: 10 });
      expect(open).toHaveLength(1);
      expect(await new Incidents(kit.mongo, kit.redis).list({ app_id: 'mon-quiet', limit: 10 })).toHaveLength(0);
      await handle.terminate('test done');
    });
  });
});
