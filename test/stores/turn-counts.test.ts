/**
 * A session's turn counters on the real store (issue 17 item 4): a failed turn counts as failed,
 * not as a turn; a rolled-back one in neither; each is counted once; sessions written before
 * `last_turn_number` keep their guard.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatRepository } from '../../src/stores/chat-repository';
import type { TenantCollections } from '../../src/stores/tenant-collection';
import { openTenantStore, type TenantStore } from '../support/tenant-store';

let store: TenantStore;
let collections: TenantCollections;
let chats: ChatRepository;
const now = new Date('2025-06-01T12:00:00Z');
const usage = (tokens: number) => ({ input_tokens: tokens, cached_input_tokens: 0, output_tokens: tokens, cost_nanos: tokens * 10, unpriced_calls: 0 });

beforeAll(async () => {
  store = await openTenantStore('turncounts');
  collections = store.collections;
  chats = new ChatRepository(store.collections);
});

afterAll(async () => {
  await store?.drop();
});

it('counts kept turns in turn_count, failed ones in failed_turns, rolled-back ones in neither, each once; usage always', async () => {
  await chats.openSession({ chatId: 'c1', userId: 'u1', template: 'assistant', now });
  const finish = (turnNumber: number, counted: 'turn' | 'failed' | 'none') =>
    chats.recordFinishedTurn('c1', { turnNumber, turnId: `t${turnNumber}`, usage: usage(turnNumber), now, counted });
  expect(await finish(1, 'turn')).toBe(true);
  expect(await finish(2, 'failed')).toBe(true);
  expect(await finish(2, 'failed')).toBe(false);
  expect(await finish(3, 'none')).toBe(true);
  expect(await finish(4, 'turn')).toBe(true);
  expect(await finish(1, 'turn')).toBe(false);
  const session = await chats.getSession('c1');
  expect(session).toMatchObject({ turn_count: 2, failed_turns: 1, last_turn_number: 4, last_turn_id: 't4' });
  expect(session?.totals).toMatchObject({ input_tokens: 10, output_tokens: 10, cost_nanos: 100 });
});

it('keeps the guard of a session written before last_turn_number (turn_count was the last number)', async () => {
  await collections.sessions.insertOne({
    chat_id: 'legacy',
    user_id: 'u1',
    template: 'assistant',
    status: 'active',
    turn_count: 5,
    next_seq: 11,
    totals: usage(0),
    created_at: now,
    updated_at: now,
  } as never);
  const finish = (turnNumber: number, counted: 'turn' | 'failed') =>
    chats.recordFinishedTurn('legacy', { turnNumber, turnId: `t${turnNumber}`, usage: usage(1), now, counted });
  expect(await finish(5, 'turn')).toBe(false);
  expect(await finish(6, 'failed')).toBe(true);
  expect(await finish(6, 'failed')).toBe(false);
  expect(await finish(7, 'turn')).toBe(true);
  expect(await chats.getSession('legacy')).toMatchObject({ turn_count: 6, failed_turns: 1, last_turn_number: 7 });
});
