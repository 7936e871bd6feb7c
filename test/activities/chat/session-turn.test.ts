import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZERO_USAGE } from '../../../src/domain/chat';
import { actor, activityKit, APP, type ActivityKit } from './kit';

let kit: ActivityKit;
const range = () => ({ from: new Date(Date.now() - 60 * 60_000), to: new Date(Date.now() + 60_000) });

beforeAll(async () => {
  kit = await activityKit('sessturn');
});

afterAll(async () => {
  await kit.close();
});

const chat = (chatId: string) => ({ appId: APP, chatId });
const begin = (chatId: string, turnId: string, seq: number) => ({
  ...chat(chatId),
  userId: 'user-1',
  turnId,
  turnNumber: 1,
  message: { messageId: `${chatId}-${turnId}:u`, seq, content: 'Hello there' },
  actor,
});

describe('openSession', () => {
  it('creates the session once and returns the stored one afterwards, with one audit entry', async () => {
    const open = { ...chat('s1'), userId: 'user-1', template: 'assistant', actor };
    const first = await kit.run(kit.activities.openSession, open);
    expect(first).toEqual({ status: 'active', nextSeq: 1, turnCount: 0, totals: ZERO_USAGE });
    await kit.chats.bumpNextSeq('s1', 7, new Date());
    const again = await kit.run(kit.activities.openSession, { ...open, template: 'other' });
    expect(again.nextSeq).toBe(7);
    expect(await kit.collections.auditEvents.countDocuments({ 'resource.type': 'chat_session', 'resource.id': 's1' })).toBe(1);
  });
});

describe('beginTurn and finishTurn', () => {
  it('stores the user message once, announces the turn once and counts it once', async () => {
    await kit.run(kit.activities.beginTurn, begin('s2', 't1', 1));
    await kit.run(kit.activities.beginTurn, begin('s2', 't1', 1), { attempt: 2 });
    expect(await kit.collections.messages.countDocuments({ chat_id: 's2' })).toBe(1);
    expect((await kit.chats.getSession('s2'))?.next_seq).toBeUndefined(); // no session document was opened
    const events = await kit.events.read(chat('s2'));
    expect(events.map((e) => e.type)).toEqual(['turn.started']);
    expect(events[0]).toMatchObject({ turn_id: 't1', data: { message_id: 's2-t1:u', content: 'Hello there' } });
    expect(await kit.counters.activeRuns(APP)).toBe(1);
    expect((await kit.counters.read(APP, range())).turns).toBe(1);
    expect(await kit.collections.auditEvents.countDocuments({ 'resource.type': 'chat_message', 'resource.id': 's2-t1:u' })).toBe(1);
  });

  it('counts a finished turn once and raises next_seq past it in the same write', async () => {
    await kit.run(kit.activities.openSession, { ...chat('s3'), userId: 'user-1', template: 'assistant', actor });
    await kit.run(kit.activities.beginTurn, begin('s3', 't1', 4));
    const usage = { input_tokens: 12, cached_input_tokens: 0, output_tokens: 7, cost_nanos: 1500, unpriced_calls: 0 };
    const finish = { ...chat('s3'), userId: 'user-1', turnId: 't1', turnNumber: 1, status: 'completed' as const, usage, nextSeq: 6, replyMessageId: 't1:a0', actor };
    await kit.run(kit.activities.finishTurn, finish);
    await kit.run(kit.activities.finishTurn, { ...finish, nextSeq: 9 }, { attempt: 2 });
    expect(await kit.chats.getSession('s3')).toMatchObject({ turn_count: 1, next_seq: 6, totals: usage, last_turn_id: 't1' });
    const completed = (await kit.events.read(chat('s3'))).filter((e) => e.type === 'turn.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]?.data).toEqual({ usage, cost_usd: 0.0000015, message_id: 't1:a0' });
    expect(await kit.counters.activeRuns(APP)).toBe(1); // s2's turn is still running
  });

  it('counts a failed turn as an error', async () => {
    const before = (await kit.counters.read(APP, range())).errors;
    await kit.run(kit.activities.beginTurn, begin('s4', 't1', 1));
    const failed = { ...chat('s4'), userId: 'user-1', turnId: 't1', turnNumber: 1, status: 'failed' as const, usage: ZERO_USAGE, error: 'boom', actor };
    await kit.run(kit.activities.finishTurn, failed);
    await kit.run(kit.activities.finishTurn, failed);
    expect((await kit.counters.read(APP, range())).errors).toBe(before + 1);
    const events = await kit.events.read(chat('s4'));
    expect(events.map((e) => e.type)).toEqual(['turn.started', 'turn.failed']);
    expect(events[1]?.data).toEqual({ status: 'failed', error: 'boom' });
  });
});

describe('discardTurn', () => {
  it('interrupted: marks the messages, publishes one turn.failed, decrements active runs once with finishTurn', async () => {
    const runsBefore = await kit.counters.activeRuns(APP);
    await kit.run(kit.activities.beginTurn, begin('s5', 't1', 1));
    const discard = { ...chat('s5'), turnId: 't1', mode: 'interrupted' as const, actor };
    await kit.run(kit.activities.discardTurn, discard);
    await kit.run(kit.activities.discardTurn, discard);
    await kit.run(kit.activities.finishTurn, {
      ...chat('s5'),
      userId: 'user-1',
      turnId: 't1',
      turnNumber: 1,
      status: 'interrupted',
      usage: ZERO_USAGE,
      actor,
    });
    expect(await kit.counters.activeRuns(APP)).toBe(runsBefore);
    expect((await kit.chats.findMessage('s5', 's5-t1:u'))?.status).toBe('interrupted');
    const events = await kit.events.read(chat('s5'));
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['turn.started', expect.any(Object)],
      ['turn.failed', { status: 'interrupted' }],
    ]);
  });

  it('rolled_back: deletes the messages and audits the delete once', async () => {
    await kit.run(kit.activities.beginTurn, begin('s6', 't1', 1));
    await kit.chats.insertMessage({
      chat_id: 's6',
      message_id: 's6-t1:a0',
      seq: 2,
      role: 'assistant',
      content: 'partial',
      turn_id: 't1',
      status: 'complete',
      created_at: new Date(),
    });
    const discard = { ...chat('s6'), turnId: 't1', mode: 'rolled_back' as const, actor };
    await kit.run(kit.activities.discardTurn, discard);
    await kit.run(kit.activities.discardTurn, discard);
    expect(await kit.collections.messages.countDocuments({ chat_id: 's6' })).toBe(0);
    const deletes = await kit.collections.auditEvents.find({ action: 'delete', 'resource.id': 't1' });
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.details).toMatchObject({ chat_id: 's6', messages_deleted: 2 });
  });

  it('refuses a message id another chat of the app already uses, for good', async () => {
    await expect(kit.run(kit.activities.beginTurn, { ...begin('s8', 't1', 1), message: { messageId: 's2-t1:u', seq: 1, content: 'x' } })).rejects.toMatchObject({
      type: 'message_conflict',
      nonRetryable: true,
    });
  });
});

describe('closeSession', () => {
  it('closes once, publishes session.closed once and audits the update; the audit chain verifies', async () => {
    await kit.run(kit.activities.openSession, { ...chat('s7'), userId: 'user-1', template: 'assistant', actor });
    const close = { ...chat('s7'), reason: 'inactivity' as const, actor };
    await kit.run(kit.activities.closeSession, close);
    await kit.run(kit.activities.closeSession, { ...close, reason: 'requested' });
    expect(await kit.chats.getSession('s7')).toMatchObject({ status: 'closed', closed_reason: 'inactivity' });
    const events = await kit.events.read(chat('s7'));
    expect(events).toEqual([expect.objectContaining({ type: 'session.closed', data: { reason: 'inactivity' } })]);
    expect(await kit.collections.auditEvents.countDocuments({ action: 'update', 'resource.id': 's7' })).toBe(1);
    // A chat closed for inactivity resumes on its next message.
    const reopened = await kit.run(kit.activities.openSession, { ...chat('s7'), userId: 'user-1', template: 'assistant', actor });
    expect(reopened).toMatchObject({ status: 'active' });
    expect(await kit.audit.verifyAppAuditChain(APP)).toMatchObject({ valid: true });
  });

  it('keeps a requested close final', async () => {
    await kit.run(kit.activities.openSession, { ...chat('s9'), userId: 'user-1', template: 'assistant', actor });
    await kit.run(kit.activities.closeSession, { ...chat('s9'), reason: 'requested' as const, actor });
    const reopened = await kit.run(kit.activities.openSession, { ...chat('s9'), userId: 'user-1', template: 'assistant', actor });
    expect(reopened).toMatchObject({ status: 'closed', closedReason: 'requested' });
  });
});
