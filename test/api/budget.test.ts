/**
 * Budgets that cannot overshoot, across replicas: 20 concurrent turns through two API processes
 * against an app budget that fits 5 worst-case calls → the usage events (what was really spent)
 * never sum past the budget, some turns are served and the rest refused with 402, as a spent budget
 * refuses new turns at once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildPriceBook, computeCost } from '../../src/domain/pricing';
import { tenantCollections } from '../../src/stores/tenant-collection';
import type { ApiProcess } from '../support/api-process';
import type { ApiStack } from '../support/api-stack';
import { startReplicatedStack, type ReplicatedStack } from '../support/replicated-stack';

let stack: ApiStack;
let replicas: ApiProcess[] = [];
let replicated: ReplicatedStack;

beforeAll(async () => {
  // Calls last about a second, so the 20 overlap.
  replicated = await startReplicatedStack({ label: 'budget', tokenLatencyMs: 30 });
  ({ stack, replicas } = replicated);
}, 180_000);

afterAll(async () => {
  await replicated?.close();
});

/** The assistant template's worst case: a prompt bound of 2,000 tokens and all 1,024 output tokens. */
function worstCallNanos(): number {
  const cost = computeCost(buildPriceBook(), { model: 'gpt-4.1-mini', usage: { input_tokens: 2_000, output_tokens: 1_024 }, at: new Date() });
  if (!cost.priced) throw new Error('gpt-4.1-mini must be priced');
  return cost.cost_nanos.total;
}

async function post(url: string, key: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

it('20 concurrent turns from two API processes never spend past a budget that fits 5', async () => {
  const budgetNanos = 5 * worstCallNanos();
  const key = await stack.createApp('budgeted', { tier: 'pro' });
  const put = await stack.call('PUT', '/v1/ops/policies/budgeted', { key: stack.adminKey, body: { monthly_budget_usd: budgetNanos / 1e9 } });
  expect(put.status).toBe(200);
  for (let i = 0; i < 20; i++) {
    expect((await post(replicas[i % 2]!.url, key, '/v1/sessions', { template: 'assistant', user_id: `u${i}`, chat_id: `b${i}` })).status).toBe(200);
  }

  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, i) => post(replicas[i % 2]!.url, key, `/v1/chats/b${i}/messages`, { content: `Tell me a long story number ${i}` })),
  );
  const bodies = await Promise.all(responses.map(async (response) => ({ status: response.status, text: await response.text() })));
  const served = bodies.filter((body) => body.status === 200);
  const refused = bodies.filter((body) => body.status !== 200);
  expect(served.length).toBeGreaterThanOrEqual(1);
  expect(served.length).toBeLessThanOrEqual(19);
  // Every turn was admitted (nothing was spent yet); the refused ones are the calls whose
  // reservation did not fit mid-turn, answered as admission answers a spent budget.
  for (const body of refused) {
    expect(body.status).toBe(402);
    expect(JSON.parse(body.text)).toMatchObject({ error: { code: 'budget_exhausted' } });
  }

  const usage = await tenantCollections(stack.kit.mongo, 'budgeted').usageEvents.find({});
  const spent = usage.reduce((sum, event) => sum + event.cost_nanos, 0);
  expect(usage.filter((event) => event.status === 'ok')).toHaveLength(served.length);
  expect(spent).toBeGreaterThan(0);
  expect(spent).toBeLessThanOrEqual(budgetNanos);

  // Lower the budget under what is spent: new turns are refused with 402 on every replica.
  await stack.call('PUT', '/v1/ops/policies/budgeted', { key: stack.adminKey, body: { monthly_budget_usd: spent / 2 / 1e9 } });
  for (const replica of replicas) {
    const response = await post(replica.url, key, '/v1/chats/b0/messages', { content: 'one more' });
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({ error: { code: 'budget_exhausted' } });
  }
}, 240_000);
