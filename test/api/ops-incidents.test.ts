/**
 * The incident routes on the real stack (dev server, API over HTTP, ops worker running the real
 * remediation workflow): the list in cursor pages, one incident with its timeline, approve and
 * reject with a reason that reaches the workflow's decision step and the audit chain, and an app
 * key that reads its own app's incidents only (another app's is not found) and decides nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, RuleName } from '../../src/domain/ops';
import { OpsControls } from '../../src/stores/ops-controls';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startOpsBeside, type RunningOps } from '../support/ops-worker';
import { waitFor } from '../support/wait-for';

const A = 'inc-a';
const B = 'inc-b';

let stack: ApiStack;
let ops: RunningOps;
let keyA: string;

interface TimelineEntry { at: string; source: string; kind: string; action?: string; actor?: string; detail?: string }
interface IncidentView { incident_id: string; app_id: string; rule: string; status: string; decision?: string }
interface Detail { incident: IncidentView; timeline: TimelineEntry[] }
interface Page { incidents: IncidentView[]; next_cursor: string | null }

const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

async function detail(id: string, key = stack.adminKey): Promise<Detail> {
  const response = await stack.call('GET', `/v1/ops/incidents/${id}`, { key });
  expect(response.status).toBe(200);
  return json<Detail>(response);
}

/** Raises a finding through the monitor's own activity and waits for its proposal. */
async function proposal(appId: string, rule: RuleName): Promise<string> {
  const finding: Finding = { rule, app_id: appId, severity: 'act', summary: `${appId} ${rule}`, evidence: { factor: 7 }, proposed_action: 'throttle' };
  await ops.activities.raiseAlerts({ findings: [finding] });
  return waitFor(`the ${rule} proposal of ${appId}`, async () => {
    const page = await json<Page>(await stack.call('GET', `/v1/ops/incidents?app_id=${appId}&rule=${rule}&status=awaiting_approval`, { key: stack.adminKey }));
    return page.incidents[0]?.incident_id;
  });
}

const approvalPolicy = {
  promotion_after_approvals: null,
  approval_timeout_seconds: 600,
  max_escalations: 0,
  rules: {
    burn_spike: { autonomy: 'approval', action: 'throttle', ttl_seconds: 600 },
    error_spike: { autonomy: 'approval', action: 'throttle', ttl_seconds: 600 },
  },
};

beforeAll(async () => {
  stack = await startApiStack({ label: 'ops-incidents' });
  ops = await startOpsBeside(stack, null);
  keyA = await stack.createApp(A, { tier: 'pro' });
  await stack.createApp(B, { tier: 'pro' });
  for (const app of [A, B]) expect((await stack.call('PUT', `/v1/ops/policies/${app}`, { key: stack.adminKey, body: approvalPolicy })).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await ops?.stop();
  await stack?.close();
});

describe('incident routes', () => {
  let approved: string;
  let rejected: string;
  let other: string;

  it('approve with a reason: the timeline shows who approved and why, then the action applied; the audit chain has the reason', async () => {
    approved = await proposal(A, 'burn_spike');
    const waiting = await detail(approved);
    expect(waiting.incident.status).toBe('awaiting_approval');
    expect(waiting.timeline.map((entry) => entry.kind)).toEqual(expect.arrayContaining(['opened', 'proposed']));

    const reason = 'planned load test; throttle it';
    const approve = await stack.call('POST', `/v1/ops/incidents/${approved}/approve`, { key: stack.adminKey, body: { reason } });
    expect(approve.status).toBe(202);
    expect(await json(approve)).toEqual({ incident_id: approved, signalled: 'approve', reason });

    const done = await waitFor('the applied action', async () => {
      const d = await detail(approved);
      return d.timeline.some((entry) => entry.kind === 'applied') ? d : undefined;
    });
    const kinds = done.timeline.map((entry) => entry.kind);
    expect(kinds.indexOf('proposed')).toBeLessThan(kinds.indexOf('approved'));
    expect(kinds.indexOf('approved')).toBeLessThan(kinds.indexOf('applied'));
    expect(done.timeline.find((entry) => entry.kind === 'approved')).toMatchObject({ source: 'incident', actor: 'admin', detail: reason });
    expect(done.timeline.find((entry) => entry.kind === 'applied')).toMatchObject({ action: 'throttle' });
    // The notifications its state changes sent are in it too (the log channel by default).
    expect(done.timeline.find((entry) => entry.source === 'notification' && entry.kind === 'approval_requested')).toMatchObject({ channel: expect.any(String) });
    expect(done.incident).toMatchObject({ status: 'mitigated', decision: 'approved' });
    expect([...done.timeline.map((entry) => entry.at)]).toEqual([...done.timeline.map((entry) => entry.at)].sort());
    expect((await new OpsControls(stack.kit.redis).state(A)).throttle).toBeDefined();

    const audit = await json<{ entries: { actor: { actor_id: string }; details?: Record<string, unknown> }[] }>(
      await stack.call('GET', `/v1/audit?app_id=${A}&resource_type=incident&resource_id=${encodeURIComponent(approved)}`, { key: stack.adminKey }),
    );
    expect(audit.entries.find((entry) => entry.details?.kind === 'approved')).toMatchObject({ actor: { actor_id: 'admin' }, details: { detail: reason } });
  });

  it('reject with a reason: the rejection is in the timeline and nothing is applied', async () => {
    rejected = await proposal(A, 'error_spike');
    const reason = 'a known upstream outage, not the app';
    const reject = await stack.call('POST', `/v1/ops/incidents/${rejected}/reject`, { key: stack.adminKey, body: { reason } });
    expect(reject.status).toBe(202);
    const done = await waitFor('the rejection', async () => {
      const d = await detail(rejected);
      return d.incident.status === 'rejected' ? d : undefined;
    });
    expect(done.timeline.find((entry) => entry.kind === 'rejected')).toMatchObject({ actor: 'admin', detail: reason });
    expect(done.timeline.some((entry) => entry.kind === 'applied')).toBe(false);
    expect(done.incident.decision).toBe('rejected');
    // Decided: a second decision is a conflict.
    expect((await stack.call('POST', `/v1/ops/incidents/${rejected}/approve`, { key: stack.adminKey, body: { reason: 'late' } })).status).toBe(409);
  });

  it('lists newest first in cursor pages; a cursor it did not issue is a 400', async () => {
    other = await proposal(B, 'burn_spike');
    const first = await json<Page>(await stack.call('GET', `/v1/ops/incidents?app_id=${A}&limit=1`, { key: stack.adminKey }));
    expect(first.incidents.map((doc) => doc.incident_id)).toEqual([rejected]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await json<Page>(await stack.call('GET', `/v1/ops/incidents?app_id=${A}&limit=1&cursor=${first.next_cursor}`, { key: stack.adminKey }));
    expect(second.incidents.map((doc) => doc.incident_id)).toEqual([approved]);
    const third = second.next_cursor
      ? await json<Page>(await stack.call('GET', `/v1/ops/incidents?app_id=${A}&limit=1&cursor=${second.next_cursor}`, { key: stack.adminKey }))
      : { incidents: [], next_cursor: null };
    expect(third).toEqual({ incidents: [], next_cursor: null });

    const all = await json<Page>(await stack.call('GET', '/v1/ops/incidents?limit=10', { key: stack.adminKey }));
    expect(all.incidents.map((doc) => doc.incident_id)).toEqual([other, rejected, approved]);
    expect(all.next_cursor).toBeNull();
    const waiting = await json<Page>(await stack.call('GET', '/v1/ops/incidents?status=awaiting_approval', { key: stack.adminKey }));
    expect(waiting.incidents.map((doc) => doc.incident_id)).toEqual([other]);

    expect((await stack.call('GET', '/v1/ops/incidents?cursor=bm90LWEtY3Vyc29y', { key: stack.adminKey })).status).toBe(400);
    expect((await stack.call('GET', '/v1/ops/incidents?cursor=%7B', { key: stack.adminKey })).status).toBe(400);
  });

  it('refuses a bad reason, an unknown incident and a malformed id', async () => {
    const empty = await stack.call('POST', `/v1/ops/incidents/${other}/reject`, { key: stack.adminKey, body: { reason: '   ' } });
    expect(empty.status).toBe(400);
    const nul = await stack.call('POST', `/v1/ops/incidents/${other}/reject`, { key: stack.adminKey, body: { reason: 'a\u0000b' } });
    expect(nul.status).toBe(400);
    const extra = await stack.call('POST', `/v1/ops/incidents/${other}/reject`, { key: stack.adminKey, body: { reason: 'x', force: true } });
    expect(extra.status).toBe(400);
    expect((await stack.call('GET', `/v1/ops/incidents/incident:${A}:budget:nope`, { key: stack.adminKey })).status).toBe(404);
    expect((await stack.call('GET', '/v1/ops/incidents/not-an-incident', { key: stack.adminKey })).status).toBe(400);
    // Still waiting: none of the refused decisions reached it.
    expect((await detail(other)).incident.status).toBe('awaiting_approval');
  });

  it("an app key reads its own app's incidents only and decides nothing", async () => {
    const own = await json<Page>(await stack.call('GET', '/v1/ops/incidents', { key: keyA }));
    expect(own.incidents.map((doc) => doc.app_id)).toEqual([A, A]);
    const mine = await detail(approved, keyA);
    expect(mine.timeline.find((entry) => entry.kind === 'approved')?.detail).toBe('planned load test; throttle it');

    const otherList = await stack.call('GET', `/v1/ops/incidents?app_id=${B}`, { key: keyA });
    expect(otherList.status).toBe(404);
    const otherOne = await stack.call('GET', `/v1/ops/incidents/${other}`, { key: keyA });
    expect(otherOne.status).toBe(404);
    const decide = await stack.call('POST', `/v1/ops/incidents/${other}/approve`, { key: keyA, body: { reason: 'mine now' } });
    expect(decide.status).toBe(403);
    expect((await detail(other)).incident.status).toBe('awaiting_approval');
  });
});
