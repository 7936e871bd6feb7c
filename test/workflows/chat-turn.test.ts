/**
 * chatSession on the time-skipping test server with the real activities (FerretDB, Redis, the
 * offline model): a turn end to end, tools, retries, the inactivity timer, continue-as-new.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository } from '../../src/stores/audit-repository';
import { ChatEvents } from '../../src/stores/chat-events';
import { tenantCollections } from '../../src/stores/tenant-collection';
import type { chatSession } from '../../src/workflows/chat-session';
import { workflowIds } from '../../src/workflows/contract';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { startTimeSkipping } from '../support/temporal';

const APP = 'acme';
let env: TestWorkflowEnvironment;
let kit: ChatKit;

beforeAll(async () => {
  env = await startTimeSkipping();
  kit = await createChatKit(env, { label: 'chatturn', turnsPerRun: 3 });
});

afterAll(async () => {
  await kit?.close();
  await env?.teardown();
});

const collections = () => tenantCollections(kit.mongo, APP);

describe('a chat turn', () => {
  it('answers, streams its events in order, stores messages, usage and a valid audit chain', async () => {
    const template = kit.template('assistant');
    const reply = await kit.withWorker(() =>
      kit.chats.sendMessage({ appId: APP, chatId: 'c1', userId: 'u1', template, content: 'Hello there, Tessera', turnId: 't1' }),
    );

    expect(reply.status).toBe('completed');
    expect(reply.message.role).toBe('assistant');
    expect(reply.message.content).toMatch(/^Offline reply to: Hello there, Tessera/);
    expect(reply.usage.input_tokens).toBeGreaterThan(0);
    expect(reply.usage.output_tokens).toBeGreaterThan(0);
    expect(reply.usage.cost_nanos).toBeGreaterThan(0); // gpt-4.1-mini is priced
    expect(reply.usage.cost_usd).toBeCloseTo(reply.usage.cost_nanos / 1e9, 12);

    const events = await new ChatEvents(kit.redis).read({ appId: APP, chatId: 'c1' }, { count: 1000 });
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('turn.started');
    expect(types.at(-1)).toBe('turn.completed');
    expect(types.at(-2)).toBe('message.completed');
    expect(types.slice(1, -2).every((type) => type === 'message.delta')).toBe(true);
    const streamed = events
      .filter((event) => event.type === 'message.delta')
      .map((event) => (event.data as { delta: string }).delta)
      .join('');
    expect(streamed).toBe(reply.message.content);

    const messages = await collections().messages.find({ chat_id: 'c1' }, { sort: { seq: 1 } });
    expect(messages.map((m) => [m.seq, m.role, m.message_id])).toEqual([
      [1, 'user', 't1:u'],
      [2, 'assistant', 't1:a0'],
    ]);
    const usage = await collections().usageEvents.find({ chat_id: 'c1' });
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ status: 'ok', priced: true, model: expect.stringContaining('gpt-4.1-mini') });

    const session = await collections().sessions.findOne({ chat_id: 'c1' });
    expect(session).toMatchObject({ status: 'active', turn_count: 1, next_seq: 3 });
    expect(session?.totals.cost_nanos).toBe(reply.usage.cost_nanos);
    expect(session?.totals.output_tokens).toBe(reply.usage.output_tokens);

    // The answering step began the turn and ended it: the only local activity left is the
    // session's openSession, and the turn is one activity.
    const history = await env.client.workflow.getHandle(workflowIds.chat(APP, 'c1')).fetchHistory();
    const localActivities = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(localActivities).toHaveLength(1); // openSession

    const chain = await new AuditRepository(kit.mongo).verifyAppAuditChain(APP);
    expect(chain).toMatchObject({ valid: true });
    const actions = (await collections().auditEvents.find({}, { sort: { seq: 1 } })).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['create', 'llm_interaction']));
  });

  it('rejects an empty or overlong message and a template mismatch before it is accepted', async () => {
    const template = kit.template('assistant', { max_input_chars: 20 });
    await kit.withWorker(async () => {
      const send = (content: string, extra: object = {}) =>
        kit.chats.sendMessage({ appId: APP, chatId: 'c-bad', userId: 'u1', template, content, ...extra });
      await expect(send('   ')).rejects.toMatchObject({ code: 'empty_message' });
      await expect(send('x'.repeat(21))).rejects.toMatchObject({ code: 'message_too_long' });
      await expect(send('fine', { template: { ...template, name: 'researcher' } })).rejects.toMatchObject({
        code: 'template_mismatch',
      });
      // Nothing was written for the rejected messages.
      expect(await collections().messages.countDocuments({ chat_id: 'c-bad' })).toBe(0);
    });
  });

  it('runs tools until the step limit, then makes the model answer', async () => {
    const template = kit.template('researcher', { max_tool_steps: 2 });
    const reply = await kit.withWorker(() =>
      kit.chats.sendMessage({
        appId: APP,
        chatId: 'c-loop',
        userId: 'u1',
        template,
        content: 'keep going [[loop]] [[tool:calculator {"expression":"6*7"}]]',
      }),
    );
    expect(reply.stopReason).toBe('tool_step_limit');
    expect(reply.steps).toBe(3);
    expect(reply.usage.llm_calls).toBe(3);
    const messages = await collections().messages.find({ chat_id: 'c-loop' }, { sort: { seq: 1 } });
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
    expect(messages.filter((m) => m.role === 'tool').map((m) => m.content)).toEqual(['42', '42']);
    expect(await collections().usageEvents.countDocuments({ chat_id: 'c-loop' })).toBe(3);
  });
});

describe('failures and retries', () => {
  it('retries an LLM call that broke mid-stream: turn.restarted, one assistant message, one usage event', async () => {
    const failing = await createChatKit(env, { label: 'chatfail', llmHeaders: { 'x-offline-fail': 'midstream;times=1' } });
    try {
      const template = failing.template('assistant');
      const reply = await failing.withWorker(() =>
        failing.chats.sendMessage({ appId: APP, chatId: 'c-retry', userId: 'u1', template, content: 'Tell me a story' }),
      );
      expect(reply.message.content).toMatch(/^Offline reply to: Tell me a story/);
      const events = await new ChatEvents(failing.redis).read({ appId: APP, chatId: 'c-retry' }, { count: 1000 });
      const types = events.map((event) => event.type);
      expect(types).toContain('turn.restarted');
      // Deltas after the restart marker spell the whole reply.
      const afterRestart = events.slice(types.lastIndexOf('turn.restarted') + 1);
      const text = afterRestart
        .filter((event) => event.type === 'message.delta')
        .map((event) => (event.data as { delta: string }).delta)
        .join('');
      expect(text).toBe(reply.message.content);

      const messages = tenantCollections(failing.mongo, APP).messages;
      expect(await messages.countDocuments({ chat_id: 'c-retry', role: 'assistant' })).toBe(1);
      expect(await tenantCollections(failing.mongo, APP).usageEvents.countDocuments({ chat_id: 'c-retry' })).toBe(1);
    } finally {
      await failing.close();
    }
  });
});

describe('session lifecycle', () => {
  it('closes the session when the inactivity timer fires (time skipped, not waited)', async () => {
    const template = kit.template('assistant', { inactivity_timeout_seconds: 1800 });
    await kit.withWorker(async () => {
      await kit.chats.sendMessage({ appId: APP, chatId: 'c-idle', userId: 'u1', template, content: 'hi' });
      const handle = env.client.workflow.getHandle<typeof chatSession>(workflowIds.chat(APP, 'c-idle'));
      const before = await env.currentTimeMs();
      const result = await handle.result(); // the test server skips the 30 idle minutes
      expect(result.closedReason).toBe('inactivity');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(1800 * 1000 - 1000);
    });
    expect(await collections().sessions.findOne({ chat_id: 'c-idle' })).toMatchObject({
      status: 'closed',
      closed_reason: 'inactivity',
    });
    const events = await new ChatEvents(kit.redis).read({ appId: APP, chatId: 'c-idle' }, { count: 1000 });
    expect(events.at(-1)?.type).toBe('session.closed');
  });

  it('resumes a chat closed for inactivity, continuing its transcript', async () => {
    const template = kit.template('assistant', { inactivity_timeout_seconds: 1800 });
    await kit.withWorker(async () => {
      const reply = await kit.chats.sendMessage({ appId: APP, chatId: 'c-idle', userId: 'u1', template, content: 'back again' });
      expect(reply.status).toBe('completed');
    });
    const seqs = (await collections().messages.find({ chat_id: 'c-idle' }, { sort: { seq: 1 } })).map((m) => m.seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  it('continues as new every few turns and keeps the conversation', async () => {
    const template = kit.template('assistant');
    const ref = { appId: APP, chatId: 'c-can' };
    const { replies, status, summaries } = await kit.withWorker(async () => {
      const sent = [];
      for (let i = 1; i <= 7; i++) {
        sent.push(await kit.chats.sendMessage({ ...ref, userId: 'u1', template, content: `message number ${i}` }));
      }
      return { replies: sent, status: await kit.chats.status(ref), summaries: await kit.chats.transcript(ref) };
    });
    expect(status.runsSoFar).toBe(2); // 3 turns per run in this kit: turns 1-3, 4-6, 7
    expect(status.turnCount).toBe(7);
    expect(summaries.at(-1)?.user_preview).toBe('message number 7');
    // The model still sees the earlier turns after each continue-as-new: its prompt keeps growing.
    const inputs = replies.map((reply) => reply.usage.input_tokens);
    expect(inputs.every((tokens, i) => i === 0 || tokens > (inputs[i - 1] ?? 0))).toBe(true);
    const messages = await collections().messages.find({ chat_id: 'c-can' }, { sort: { seq: 1 } });
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
  });
});
