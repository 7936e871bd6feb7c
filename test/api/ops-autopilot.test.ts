/**
 * The ops autopilot on the real stack (dev server with fairness, API over HTTP, chat worker, ops
 * worker with the fast loop): one app floods while another chats → the noisy app is throttled on
 * the second sample over its share, the quiet app keeps being served, one incident (not many) is
 * open, and it reverts after its TTL. Plus the ops and metrics routes, approve/reject over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel } from '../../src/dev/offline-model';
import type { Finding } from '../../src/domain/ops';
import { OpsControls } from '../../src/stores/ops-controls';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startOpsBeside, type RunningOps } from '../support/ops-worker';
import { waitFor } from '../support/wait-for';

let stack: ApiStack;
let model: Awaited<ReturnType<typeof startOfflineModel>>;
let ops: RunningOps;
let admin: string;

beforeAll(async () => {
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 25 });
  stack = await startApiStack({ label: 'opsauto', llmBaseUrl: model.url });
  admin = stack.adminKey;
  ops = await startOpsBeside(stack, { intervalSeconds: 1, realertSeconds: 2 });
}, 180_000);

afterAll(async () => {
  await ops?.stop();
  await stack?.close();
  await model?.close();
});

const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function session(key: string, chatId: string): Promise<void> {
  const response = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: 'u', chat_id: chatId } });
  expect(response.status).toBe(200);
}

interface IncidentView {
  incident_id: string;
  status: string;
  steps: { kind: string }[];
  finding: { evidence: Record<string, number | string> };
}

async function incidents(appId: string): Promise<IncidentView[]> {
  const response = await stack.call('GET', `/v1/ops/incidents?app_id=${appId}`, { key: admin });
  expect(response.status).toBe(200);
  return (await json<{ incidents: IncidentView[] }>(response)).incidents;
}


describe('noisy tenant', () => {
  it('is throttled on its second sample over the share, once, and reverts after the TTL; the quiet app is served', async () => {
    const floodKey = await stack.createApp('flood', { tier: 'pro' });
    const calmKey = await stack.createApp('calm', { tier: 'pro' });
    const put = await stack.call('PUT', '/v1/ops/policies/flood', {
      key: admin,
      body: {
        max_escalations: 0,
        rules: { noisy_tenant: { autonomy: 'automatic', share: 0.5, min_active_runs: 6, consecutive_samples: 2, ttl_seconds: 6, throttle_factor: 0.2 } },
      },
    });
    expect(put.status).toBe(200);
    expect((await json<{ effective: { rules: { noisy_tenant: { ttl_seconds: number } } } }>(put)).effective.rules.noisy_tenant.ttl_seconds).toBe(6);
    const FLOOD_CHATS = 16;
    for (let i = 0; i < FLOOD_CHATS; i++) await session(floodKey, `f${i}`);
    await session(calmKey, 'c0');

    const controls = new OpsControls(stack.kit.redis);
    let flooding = true;
    const floodStatuses: number[] = [];
    const flood = Promise.all(
      Array.from({ length: FLOOD_CHATS }, async (_, i) => {
        for (let n = 0; flooding && n < 40; n++) {
          const response = await stack.call('POST', `/v1/chats/f${i}/messages`, { key: floodKey, body: { content: `Tell me a long story ${n}` } });
          floodStatuses.push(response.status);
          await response.body?.cancel();
          if (response.status === 429) await pause(200);
        }
      }),
    );
    const calmStatuses: number[] = [];
    const calm = (async () => {
      for (let n = 0; flooding || n < 3; n++) {
        const response = await stack.call('POST', '/v1/chats/c0/messages', { key: calmKey, body: { content: `hello ${n}` } });
        calmStatuses.push(response.status);
        await response.body?.cancel();
      }
    })();

    try {
      const throttle = await waitFor('the throttle', async () => (await controls.state('flood')).throttle);
      expect(throttle.factor).toBe(0.2);
      // A snapshot can fall between the throttled flood's turns (all refused or pausing after a
      // 429), so wait for one that holds a running flood turn.
      const floodRuns = await waitFor('a running flood turn', async () => {
        const active = await json<{ apps: Record<string, number> }>(await stack.call('GET', '/health/active-runs', { key: admin }));
        return (active.apps.flood ?? 0) > 0 ? active.apps.flood : undefined;
      }, 20_000);
      expect(floodRuns).toBeGreaterThan(0);
      const metrics = await (await stack.call('GET', '/metrics', { key: admin })).text();
      expect(metrics).toMatch(/tessera_app_throttle_factor\{app_id="flood"\} 0\.2/);
      expect(metrics).toMatch(/tessera_app_active_runs\{app_id="calm"\} \d+/);
    } finally {
      // The flood stops; the calm app goes on for a few more turns.
      flooding = false;
      await Promise.all([flood, calm]);
    }

    expect(calmStatuses.length).toBeGreaterThan(0);
    expect(calmStatuses.every((status) => status === 200)).toBe(true);
    expect(floodStatuses.filter((status) => status === 200).length).toBeGreaterThan(0);

    const open = await incidents('flood');
    expect(open).toHaveLength(1);
    expect(open[0]?.finding.evidence.consecutive_samples).toBe(2);
    expect(await incidents('calm')).toHaveLength(0);

    // The TTL passes on the incident's durable timer: the throttle is lifted and the incident resolved.
    const resolved = await waitFor('the revert', async () => {
      const [doc] = await incidents('flood');
      return doc?.status === 'resolved' ? doc : undefined;
    });
    expect(resolved.steps.map((step) => step.kind)).toEqual(expect.arrayContaining(['opened', 'applied', 'reverted', 'resolved']));
    expect((await controls.state('flood')).throttle).toBeUndefined();
  }, 240_000);
});

describe('ops routes', () => {
  it('approve over HTTP applies the proposed action; a second decision is a conflict', async () => {
    await stack.createApp('burner', { tier: 'pro' });
    await stack.call('PUT', '/v1/ops/policies/burner', { key: admin, body: { promotion_after_approvals: null, rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 600 } } } });
    const finding: Finding = { rule: 'burn_spike', app_id: 'burner', severity: 'act', summary: 'burner burns', evidence: { factor: 7 }, proposed_action: 'throttle' };
    await ops.activities.raiseAlerts({ findings: [finding] });
    const waiting = await waitFor('the proposal', async () => (await incidents('burner')).find((doc) => doc.status === 'awaiting_approval'));
    const approve = await stack.call('POST', `/v1/ops/incidents/${waiting.incident_id}/approve`, { key: admin, body: { note: 'ok' } });
    expect(approve.status).toBe(202);
    await waitFor('the action', async () => ((await incidents('burner'))[0]?.status === 'mitigated' ? true : undefined));
    expect((await new OpsControls(stack.kit.redis).state('burner')).throttle).toBeDefined();
    const again = await stack.call('POST', `/v1/ops/incidents/${waiting.incident_id}/reject`, { key: admin });
    expect(again.status).toBe(409);
    const [doc] = await incidents('burner');
    expect(doc?.steps.map((step) => step.kind)).toEqual(expect.arrayContaining(['proposed', 'approved', 'applied']));
  });

  it('refuses app keys, unknown incidents and bad policies', async () => {
    const appKey = await stack.createApp('outsider');
    // An app key reads its own app's incidents (none), never another's, and decides nothing.
    expect(await json(await stack.call('GET', '/v1/ops/incidents', { key: appKey }))).toEqual({ incidents: [], next_cursor: null });
    expect((await stack.call('GET', '/v1/ops/incidents?app_id=flood', { key: appKey })).status).toBe(404);
    expect((await stack.call('POST', '/v1/ops/incidents/incident:outsider:budget:nope/approve', { key: appKey })).status).toBe(403);
    const unknown = await stack.call('POST', '/v1/ops/incidents/incident:outsider:budget:nope/approve', { key: admin });
    expect(unknown.status, await unknown.clone().text()).toBe(404);
    const bad = await stack.call('PUT', '/v1/ops/policies/outsider', { key: admin, body: { rules: { noisy_tenant: { share: 2 } } } });
    expect(bad.status).toBe(400);
    const perf = await json<{ apps: { app_id: string }[] }>(await stack.call('GET', '/metrics/perf/aggregate?minutes=10', { key: admin }));
    expect(perf.apps.map((app) => app.app_id)).toEqual(expect.arrayContaining(['flood', 'calm']));
    const chats = await json<{ chats: { chat_id: string }[] }>(await stack.call('GET', '/metrics/perf/chats?app_id=calm', { key: admin }));
    expect(chats.chats.map((chat) => chat.chat_id)).toContain('c0');
  });
});
