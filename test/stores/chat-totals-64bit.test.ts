/**
 * Regression (found by the turn fuzzer, test/fuzz/turn-fuzz.test.ts): a chat's totals are summed
 * with `$inc`, and a small number is written as a 32-bit int, which FerretDB wraps past 2^31
 * (MongoDB widens it to 64 bits): a chat that had spent more than $2.147483648 (2^31 nanodollars)
 * showed a negative `totals.cost_usd`. The totals are now 64-bit sums, on the real store.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatRepository } from '../../src/stores/chat-repository';
import { openTenantStore, type TenantStore } from '../support/tenant-store';

let store: TenantStore;
let chats: ChatRepository;
const now = new Date('2025-06-01T12:00:00Z');

beforeAll(async () => {
  store = await openTenantStore('totals64');
  chats = new ChatRepository(store.collections);
});

afterAll(async () => {
  await store?.drop();
});

it('sums usage past 2^31 without wrapping, and reads it back as numbers', async () => {
  await chats.openSession({ chatId: 'big', userId: 'u1', template: 'assistant', now });
  const usage = { input_tokens: 1_500_000_000, cached_input_tokens: 1_200_000_000, output_tokens: 1_100_000_000, cost_nanos: 1_900_000_000, unpriced_calls: 0 };
  for (const turnNumber of [1, 2, 3]) {
    expect(await chats.recordFinishedTurn('big', { turnNumber, turnId: `t${turnNumber}`, usage, now })).toBe(true);
  }
  const session = await chats.getSession('big');
  expect(session?.turn_count).toBe(3);
  expect(session?.totals).toMatchObject({ input_tokens: 4_500_000_000, cached_input_tokens: 3_600_000_000, output_tokens: 3_300_000_000, cost_nanos: 5_700_000_000 });
  expect(typeof session?.totals.cost_nanos).toBe('number');
});
