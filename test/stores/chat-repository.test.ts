import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatRepository } from '../../src/stores/chat-repository';
import type { TenantCollections } from '../../src/stores/tenant-collection';
import { UsageRepository } from '../../src/stores/usage-repository';
import { openTenantStore, type TenantStore } from '../support/tenant-store';

let store: TenantStore;
let collections: TenantCollections;
let chats: ChatRepository;
const now = new Date('2025-06-01T12:00:00Z');

const message = (seq: number, overrides: Partial<{ message_id: string; turn_id: string; content: string }> = {}) => ({
  chat_id: 'c1',
  message_id: overrides.message_id ?? `m${seq}`,
  seq,
  role: 'user' as const,
  content: overrides.content ?? `hello ${seq}`,
  turn_id: overrides.turn_id ?? `t${seq}`,
  status: 'complete' as const,
  created_at: now,
});

beforeAll(async () => {
  store = await openTenantStore('chatrepo');
  collections = store.collections;
  chats = new ChatRepository(store.collections);
});

afterAll(async () => {
  await store?.drop();
});

it('opens a session once and returns the existing one after', async () => {
  const first = await chats.openSession({ chatId: 'c1', userId: 'u1', template: 'assistant', now });
  expect(first.created).toBe(true);
  expect(first.session).toMatchObject({ app_id: 'acme', status: 'active', next_seq: 1, turn_count: 0 });
  await chats.bumpNextSeq('c1', 5, now);
  await chats.bumpNextSeq('c1', 3, now);
  const again = await chats.openSession({ chatId: 'c1', userId: 'other', template: 'other', now });
  expect(again.created).toBe(false);
  expect(again.session).toMatchObject({ user_id: 'u1', template: 'assistant', next_seq: 5 });
});

it('concurrent opens create exactly one session', async () => {
  const results = await Promise.all(
    Array.from({ length: 5 }, () => chats.openSession({ chatId: 'c-race', userId: 'u1', template: 'assistant', now })),
  );
  expect(results.filter((r) => r.created)).toHaveLength(1);
  expect(await collections.sessions.countDocuments({ chat_id: 'c-race' })).toBe(1);
});

it('inserting the same message twice keeps one document and returns the stored one', async () => {
  const first = await chats.insertMessage(message(1));
  expect(first.inserted).toBe(true);
  const second = await chats.insertMessage(message(1, { content: 'changed on retry' }));
  expect(second.inserted).toBe(false);
  expect(second.message.content).toBe('hello 1');
  expect(await collections.messages.countDocuments({ message_id: 'm1' })).toBe(1);
});

it('refuses a different message on a taken seq', async () => {
  await expect(chats.insertMessage(message(1, { message_id: 'other' }))).rejects.toThrow(/seq 1/);
});

it('reads the last N messages in seq order, without rolled back ones', async () => {
  for (const seq of [3, 2, 5, 4]) await chats.insertMessage(message(seq));
  await chats.setTurnStatus('c1', 't4', 'rolled_back');
  const last = await chats.transcript('c1', { last: 3, excludeStatuses: ['rolled_back'] });
  expect(last.map((m) => m.seq)).toEqual([2, 3, 5]);
  expect((await chats.transcript('c1', { last: 10 })).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  expect(await chats.deleteTurnMessages('c1', 't4')).toBe(1);
  expect((await chats.messagesAfter('c1', 2, 10)).map((m) => m.seq)).toEqual([3, 5]);
});

it('counts a finished turn once and closes a session once', async () => {
  const usage = { input_tokens: 10, cached_input_tokens: 2, output_tokens: 5, cost_nanos: 700, unpriced_calls: 0 };
  const turn = { turnNumber: 1, turnId: 't1', usage, now };
  expect(await chats.recordFinishedTurn('c1', turn)).toBe(true);
  expect(await chats.recordFinishedTurn('c1', turn)).toBe(false);
  const session = await chats.getSession('c1');
  expect(session).toMatchObject({ turn_count: 1, last_turn_id: 't1', totals: usage });
  expect(await chats.closeSession('c1', 'requested', now)).toBe(true);
  expect(await chats.closeSession('c1', 'requested', now)).toBe(false);
  expect((await chats.getSession('c1'))?.status).toBe('closed');
});

it('inserts a usage event once per event id', async () => {
  const usage = new UsageRepository(collections);
  const event = {
    event_id: 'llm:acme:c1:t1:0',
    chat_id: 'c1',
    user_id: 'u1',
    turn_id: 't1',
    step: 0,
    template: 'assistant',
    provider: 'openai',
    model: 'gpt-4o-mini',
    input_tokens: 10,
    cached_input_tokens: 0,
    output_tokens: 5,
    cost_nanos: 123,
    priced: true,
    price_table_version: 'v1',
    latency_ms: 5,
    ttft_ms: 1,
    status: 'ok' as const,
    ts: now,
  };
  expect((await usage.insert(event)).inserted).toBe(true);
  const again = await usage.insert({ ...event, cost_nanos: 999 });
  expect(again).toMatchObject({ inserted: false, event: { cost_nanos: 123 } });
  expect(await usage.forChat('c1')).toHaveLength(1);
});
