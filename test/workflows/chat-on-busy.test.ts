/**
 * Two messages at once under each `on_busy` mode, and a burst of 30 under `enqueue`. The first turn
 * of each pair is kept busy by an offline model that takes its time per token.
 */
import type { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityExecuteInput, WorkerOptions } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnReply } from '../../src/domain/chat';
import { startOfflineModel } from '../../src/dev/offline-model';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { startTimeSkipping } from '../support/temporal';

const APP = 'busyapp';
let env: TestWorkflowEnvironment;
let slow: ChatKit;
let fast: ChatKit;
let slowModel: Awaited<ReturnType<typeof startOfflineModel>>;

beforeAll(async () => {
  env = await startTimeSkipping();
  // Replies of ≈ 5 s: an LLM call hears of a cancellation with its first heartbeat, after 2 s
  // (quiet-heartbeat.ts); a reply that is complete by then has ended its turn, which stays answered.
  slowModel = await startOfflineModel({ port: 0, tokenLatencyMs: 100 });
  slow = await createChatKit(env, { label: 'busy', llmBaseUrl: slowModel.url });
  fast = await createChatKit(env, { label: 'burst' });
});

afterAll(async () => {
  await slow?.close();
  await fast?.close();
  await slowModel?.close();
  await env?.teardown();
});

/** Sends a first message, waits until its turn is running, then sends a second with `onBusy`. */
async function twoAtOnce(chatId: string, onBusy: 'enqueue' | 'reject' | 'interrupt' | 'rollback') {
  const template = slow.template('assistant');
  const ref = { appId: APP, chatId };
  const first = slow.chats.sendMessage({ ...ref, userId: 'u1', template, content: `first message for ${chatId}`, turnId: `${chatId}-1` });
  const firstOutcome = first.then(
    (reply) => ({ ok: true as const, reply }),
    (error: unknown) => ({ ok: false as const, error: error as { code?: string } }),
  );
  for (let i = 0; i < 400; i++) {
    const status = await slow.chats.status(ref).catch(() => undefined);
    if (status?.busy) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const second = slow.chats
    .sendMessage({ ...ref, userId: 'u1', template, content: `second message for ${chatId}`, turnId: `${chatId}-2`, onBusy })
    .then(
      (reply) => ({ ok: true as const, reply }),
      (error: unknown) => ({ ok: false as const, error: error as { code?: string } }),
    );
  return { first: await firstOutcome, second: await second };
}

const messagesOf = (kit: ChatKit, chatId: string) =>
  tenantCollections(kit.mongo, APP).messages.find({ chat_id: chatId }, { sort: { seq: 1 } });

describe('on_busy', () => {
  it('enqueue: both turns run, in order', async () => {
    const { first, second } = await slow.withWorker(() => twoAtOnce('q-enqueue', 'enqueue'));
    expect(first.ok && second.ok).toBe(true);
    const messages = await messagesOf(slow, 'q-enqueue');
    expect(messages.map((m) => [m.role, m.turn_id])).toEqual([
      ['user', 'q-enqueue-1'],
      ['assistant', 'q-enqueue-1'],
      ['user', 'q-enqueue-2'],
      ['assistant', 'q-enqueue-2'],
    ]);
  });

  it('reject: the second message is refused while the first runs', async () => {
    const { first, second } = await slow.withWorker(() => twoAtOnce('q-reject', 'reject'));
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, error: { code: 'busy' } });
    const messages = await messagesOf(slow, 'q-reject');
    expect(messages.map((m) => m.turn_id)).toEqual(['q-reject-1', 'q-reject-1']);
  });

  it('interrupt: the running turn stops and is kept, marked interrupted; the new one answers', async () => {
    const { first, second } = await slow.withWorker(() => twoAtOnce('q-interrupt', 'interrupt'));
    expect(first).toMatchObject({ ok: false, error: { code: 'turn_interrupted' } });
    expect(second.ok).toBe(true);
    const messages = await messagesOf(slow, 'q-interrupt');
    const firstTurn = messages.filter((m) => m.turn_id === 'q-interrupt-1');
    // Whatever the turn had written when it was cut short stays, marked interrupted.
    expect(firstTurn[0]).toMatchObject({ role: 'user', status: 'interrupted' });
    expect(firstTurn.every((m) => m.status === 'interrupted')).toBe(true);
    expect(messages.filter((m) => m.turn_id === 'q-interrupt-2').map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('interrupt before the first step began: the turn still has its message, kept and marked interrupted', async () => {
    // The first turn's llmStep is held before it runs (heartbeating, so it hears the cancellation):
    // the step that would have stored the user's message never gets that far.
    const held = {
      activity: [(ctx: Context) => ({
        inbound: {
          execute: async (input: ActivityExecuteInput, next: (input: ActivityExecuteInput) => Promise<unknown>) => {
            const args = input.args[0] as { turnId?: string } | undefined;
            if (ctx.info.activityType !== 'llmStep' || args?.turnId !== 'q-early-1') return next(input);
            for (;;) {
              ctx.heartbeat();
              await ctx.sleep(100); // rejects once the cancellation arrives
            }
          },
        },
      })],
    } as WorkerOptions['interceptors'];
    const { first, second } = await slow.withWorker(() => twoAtOnce('q-early', 'interrupt'), held);
    expect(first).toMatchObject({ ok: false, error: { code: 'turn_interrupted' } });
    expect(second.ok).toBe(true);
    const messages = await messagesOf(slow, 'q-early');
    expect(messages.map((m) => [m.role, m.turn_id, m.status])).toEqual([
      ['user', 'q-early-1', 'interrupted'],
      ['user', 'q-early-2', 'complete'],
      ['assistant', 'q-early-2', 'complete'],
    ]);
  });

  it('rollback: the running turn stops and its messages are gone, as if it never happened', async () => {
    const { first, second } = await slow.withWorker(() => twoAtOnce('q-rollback', 'rollback'));
    expect(first).toMatchObject({ ok: false, error: { code: 'turn_rolled_back' } });
    expect(second.ok).toBe(true);
    const messages = await messagesOf(slow, 'q-rollback');
    expect(messages.map((m) => [m.role, m.turn_id])).toEqual([
      ['user', 'q-rollback-2'],
      ['assistant', 'q-rollback-2'],
    ]);
    // The model never saw the rolled-back message: the reply quotes only the second one.
    expect((second.ok && second.reply.message.content) || '').toMatch(/^Offline reply to: second message/);
  });
});

describe('a burst of 30 messages to one chat', () => {
  it('answers every one, in the order sent, within Temporal’s Update limits', async () => {
    const template = fast.template('assistant');
    const ref = { appId: APP, chatId: 'burst' };
    const replies: TurnReply[] = await fast.withWorker(() =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          fast.chats.sendMessage({ ...ref, userId: 'u1', template, content: `burst message ${i}`, turnId: `burst-${i}` }),
        ),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(30).fill('completed'));
    const messages = await messagesOf(fast, 'burst');
    expect(messages).toHaveLength(60);
    const userTurns = messages.filter((m) => m.role === 'user').map((m) => m.turn_id);
    expect(userTurns).toEqual(Array.from({ length: 30 }, (_, i) => `burst-${i}`));
    // Each reply directly follows its message.
    for (let i = 0; i < 60; i += 2) expect(messages[i + 1]?.turn_id).toBe(messages[i]?.turn_id);
  });
});
