/**
 * Chat activities on a write the real store refuses for good (FerretDB: NUL in text, SQLSTATE
 * 22P05): a non-retryable `StoreInvalidData` failure, and counters that agree with what was kept.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { messageIds } from '../../../src/domain/chat';
import { STORE_INVALID_DATA, STORE_INVALID_DATA_CODE } from '../../../src/domain/store-failure';
import { actor, activityKit, APP, type ActivityKit } from './kit';

let kit: ActivityKit;

beforeAll(async () => {
  kit = await activityKit('storefail');
});

afterAll(async () => {
  await kit.close();
});

const range = () => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) });
const ZERO = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, cost_nanos: 0, unpriced_calls: 0 };

it('a user message the store refuses fails beginTurn for good; the failed turn counts as failed, the run in and out once', async () => {
  const chatId = 'c-nul';
  await kit.run(kit.activities.openSession, { appId: APP, chatId, userId: 'u1', template: 'assistant', actor });
  const begin = {
    appId: APP,
    chatId,
    userId: 'u1',
    turnId: 't1',
    turnNumber: 1,
    message: { messageId: messageIds.user('t1'), seq: 1, content: 'bad\u0000text' },
    actor,
  };
  const failure = await kit.run(kit.activities.beginTurn, begin).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: STORE_INVALID_DATA, nonRetryable: true });
  // A retry fails the same way and counts nothing twice.
  await expect(kit.run(kit.activities.beginTurn, begin, { attempt: 2 })).rejects.toMatchObject({ type: STORE_INVALID_DATA });
  expect(await kit.counters.activeRuns(APP)).toBe(1);

  await kit.run(kit.activities.finishTurn, {
    appId: APP,
    chatId,
    userId: 'u1',
    turnId: 't1',
    turnNumber: 1,
    status: 'failed',
    usage: ZERO,
    nextSeq: 2,
    error: 'the store refused the data for good',
    errorCode: STORE_INVALID_DATA_CODE,
    actor,
  });
  expect(await kit.counters.activeRuns(APP)).toBe(0);
  expect(await kit.collections.messages.find({ chat_id: chatId })).toEqual([]);
  expect(await kit.chats.getSession(chatId)).toMatchObject({ turn_count: 0, failed_turns: 1, last_turn_number: 1 });
  // The app counts the turn that ran and its failure: errors never exceed turns.
  expect(await kit.counters.read(APP, range())).toMatchObject({ turns: 1, errors: 1 });
  const events = await kit.events.read({ appId: APP, chatId }, { count: 100 });
  expect(events.map((event) => event.type)).toEqual(['turn.failed']);
  expect(events[0]?.data).toMatchObject({ status: 'failed', code: STORE_INVALID_DATA_CODE });

  // The chat's next turn is numbered on from the failed one.
  const reopened = await kit.run(kit.activities.openSession, { appId: APP, chatId, userId: 'u1', template: 'assistant', actor });
  expect(reopened).toMatchObject({ turnCount: 1, nextSeq: 2 });
});

it('marks what a failed turn stored as failed: the transcript tells the failed turn from the kept ones', async () => {
  const chatId = 'c-llm-failed';
  await kit.run(kit.activities.openSession, { appId: APP, chatId, userId: 'u1', template: 'assistant', actor });
  await kit.run(kit.activities.beginTurn, {
    appId: APP,
    chatId,
    userId: 'u1',
    turnId: 't1',
    turnNumber: 1,
    message: { messageId: messageIds.user('t1'), seq: 1, content: 'the model will fail on this one' },
    actor,
  });
  const ending = { appId: APP, chatId, userId: 'u1', turnId: 't1', turnNumber: 1, status: 'failed' as const, usage: ZERO, nextSeq: 2, errorCode: 'turn_failed', actor };
  await kit.run(kit.activities.finishTurn, ending);
  await kit.run(kit.activities.finishTurn, ending);
  const messages = await kit.collections.messages.find({ chat_id: chatId });
  expect(messages.map((m) => [m.turn_id, m.status])).toEqual([['t1', 'failed']]);
  expect(await kit.chats.getSession(chatId)).toMatchObject({ turn_count: 0, failed_turns: 1 });
  // The model still sees the message (as it did), so the next turn can pick the conversation up.
  expect((await kit.chats.transcript(chatId, { last: 10, excludeStatuses: ['rolled_back'] })).map((m) => m.seq)).toEqual([1]);
});
