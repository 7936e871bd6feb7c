import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventIds, type RecordLlmCallArgs } from '../../../src/domain/chat';
import { actor, activityKit, APP, type ActivityKit } from './kit';

let kit: ActivityKit;
const range = () => ({ from: new Date(Date.now() - 60 * 60_000), to: new Date(Date.now() + 60_000) });

beforeAll(async () => {
  kit = await activityKit('accounting');
});

afterAll(async () => {
  await kit.close();
});

const call = (chatId: string, model: string, overrides: Partial<RecordLlmCallArgs> = {}): RecordLlmCallArgs => ({
  appId: APP,
  chatId,
  userId: 'user-1',
  turnId: `${chatId}-t1`,
  step: 0,
  template: 'assistant',
  model,
  usage: { input_tokens: 1_000, cached_input_tokens: 200, output_tokens: 500 },
  latencyMs: 800,
  ttftMs: 120,
  status: 'ok',
  actor,
  ...overrides,
});

it('records a priced call once: one usage event, one audit entry, counted once', async () => {
  const args = call('c1', 'gpt-4o-mini');
  const first = await kit.run(kit.activities.recordLlmCall, args);
  expect(first.priced).toBe(true);
  expect(first.costNanos).toBeGreaterThan(0);
  expect(Number.isInteger(first.costNanos)).toBe(true);
  const again = await kit.run(kit.activities.recordLlmCall, args, { attempt: 2 });
  expect(again).toEqual(first);

  const eventId = eventIds.llmCall(APP, 'c1', 'c1-t1', 0);
  const usage = await kit.collections.usageEvents.find({ chat_id: 'c1' });
  expect(usage).toHaveLength(1);
  expect(usage[0]).toMatchObject({
    event_id: eventId,
    app_id: APP,
    user_id: 'user-1',
    model: 'gpt-4o-mini',
    provider: 'openai',
    input_tokens: 1_000,
    cached_input_tokens: 200,
    output_tokens: 500,
    cost_nanos: first.costNanos,
    priced: true,
    price_table_version: first.priceTableVersion,
    latency_ms: 800,
    ttft_ms: 120,
    status: 'ok',
  });
  const audits = await kit.collections.auditEvents.find({ action: 'llm_interaction' });
  expect(audits).toHaveLength(1);
  expect(audits[0]).toMatchObject({ resource: { type: 'llm_call', id: eventId }, actor, details: { model: 'gpt-4o-mini', cost_nanos: first.costNanos, status: 'ok' } });

  const totals = await kit.counters.read(APP, range());
  expect(totals).toMatchObject({ llm_calls: 1, input_tokens: 1_000, output_tokens: 500, cost_nanos: first.costNanos, unpriced_calls: 0, errors: 0 });
});

it('records an unknown model as unpriced (not free) and counts it', async () => {
  const result = await kit.run(kit.activities.recordLlmCall, call('c2', 'mystery-model-9000'));
  expect(result).toMatchObject({ priced: false, costNanos: 0 });
  expect(await kit.collections.usageEvents.findOne({ chat_id: 'c2' })).toMatchObject({ priced: false, cost_nanos: 0, provider: 'unknown' });
  expect((await kit.counters.read(APP, range())).unpriced_calls).toBe(1);
});

it('records a failed call with its type; the app counts it as a call, its errors count failed turns', async () => {
  await kit.run(
    kit.activities.recordLlmCall,
    call('c3', 'tessera-offline', { status: 'error', errorType: 'llm_unavailable', usage: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 } }),
  );
  expect(await kit.collections.usageEvents.findOne({ chat_id: 'c3' })).toMatchObject({ status: 'error', error_type: 'llm_unavailable', priced: true, cost_nanos: 0 });
  // One failed turn is one error (finishTurn counts it), not one per failed call as well.
  expect(await kit.counters.read(APP, range())).toMatchObject({ llm_calls: 3, errors: 0 });
  expect(await kit.audit.verifyAppAuditChain(APP)).toEqual({ valid: true, count: 3 });
});
