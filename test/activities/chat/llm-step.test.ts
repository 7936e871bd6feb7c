import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eventIds, messageIds, type LlmStepArgs } from '../../../src/domain/chat';
import type { ToolName } from '../../../src/domain/templates';
import { startOfflineModel, type RunningOfflineModel } from '../../../src/dev/offline-model';
import { actor, activityKit, APP, quietLogger, type ActivityKit } from './kit';

let kit: ActivityKit;
let slowModel: RunningOfflineModel;

beforeAll(async () => {
  kit = await activityKit('llmstep');
  slowModel = await startOfflineModel({ port: 0, tokenLatencyMs: 40 });
});

afterAll(async () => {
  await slowModel.close();
  await kit.close();
});

const template = (tools: ToolName[] = []): LlmStepArgs['template'] => ({
  name: 'assistant',
  model: 'tessera-offline',
  system_prompt: 'You are a helpful assistant.',
  temperature: 0.2,
  max_output_tokens: 512,
  tools,
});

/** Stores the user's message (seq 1) and returns the args of the turn's first LLM step. */
async function startTurn(chatId: string, content: string, tools: ToolName[] = []): Promise<LlmStepArgs> {
  const turnId = `${chatId}-t1`;
  await kit.run(kit.activities.beginTurn, {
    appId: APP,
    chatId,
    userId: 'user-1',
    turnId,
    turnNumber: 1,
    message: { messageId: messageIds.user(turnId), seq: 1, content },
    actor,
  });
  return {
    appId: APP,
    chatId,
    turnId,
    step: 0,
    seq: 2,
    messageId: messageIds.assistant(turnId, 0),
    template: template(tools),
    allowTools: tools.length > 0,
    maxOutputTokens: 512,
  };
}

const ref = (chatId: string) => ({ appId: APP, chatId });

describe('llmStep on the offline model', () => {
  it('streams deltas in order, stores the reply, and replays it without calling the model again', async () => {
    const args = await startTurn('c1', 'Hello there, tell me something');
    const result = await kit.run(kit.activities.llmStep, args);
    expect(result).toMatchObject({ messageId: 'c1-t1:a0', toolCalls: [], finishReason: 'stop', model: 'tessera-offline', attempt: 1, replayed: false });
    expect(result.content).toMatch(/^Offline reply to: Hello there/);
    expect(result.usage.input_tokens).toBeGreaterThan(0);
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    expect(result.latencyMs).toBeGreaterThanOrEqual(result.ttftMs);

    const events = await kit.events.read(ref('c1'));
    const deltas = events.filter((e) => e.type === 'message.delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.data.delta).join('')).toBe(result.content);
    expect(events.at(-1)).toMatchObject({ type: 'message.completed', turn_id: 'c1-t1', data: { message_id: 'c1-t1:a0', content: result.content } });

    const stored = await kit.chats.findMessage('c1', 'c1-t1:a0');
    expect(stored).toMatchObject({ role: 'assistant', seq: 2, status: 'complete', content: result.content, turn_id: 'c1-t1' });

    const again = await kit.run(kit.activities.llmStep, args, { attempt: 2 });
    expect(again).toMatchObject({ replayed: true, content: result.content, usage: result.usage, attempt: 2 });
    expect(await kit.events.read(ref('c1'), { after: events.at(-1)?.id })).toEqual([]);
  });

  it('on attempt 2 publishes turn.restarted before streaming again', async () => {
    const args = await startTurn('c2', 'Hello again');
    const started = await kit.events.read(ref('c2'));
    await kit.run(kit.activities.llmStep, args, { attempt: 2 });
    const events = await kit.events.read(ref('c2'), { after: started.at(-1)?.id });
    expect(events[0]).toMatchObject({ type: 'turn.restarted', turn_id: 'c2-t1', data: { step: 0, attempt: 2 } });
    expect(events[1]?.type).toBe('message.delta');
  });

  it('asks for a tool, runs it, and answers from its result', async () => {
    const args = await startTurn('c3', 'Please add [[tool:calculator {"expression":"2+3"}]]', ['calculator']);
    const first = await kit.run(kit.activities.llmStep, args);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: 'calculator', arguments: '{"expression":"2+3"}' }]);
    const call = first.toolCalls[0];
    if (!call) throw new Error('no tool call');

    const tool = await kit.run(kit.activities.runTool, {
      appId: APP,
      chatId: 'c3',
      turnId: 'c3-t1',
      step: 0,
      index: 0,
      seq: 3,
      messageId: messageIds.tool('c3-t1', 0, 0),
      call,
      allowedTools: ['calculator'],
    });
    expect(tool).toEqual({ ok: true, preview: '5' });

    const second = await kit.run(kit.activities.llmStep, { ...args, step: 1, seq: 4, messageId: messageIds.assistant('c3-t1', 1) });
    expect(second.toolCalls).toEqual([]);
    expect(second.content).toMatch(/^Tool results: calculator: 5\b/);
    const types = (await kit.events.read(ref('c3'))).map((e) => e.type).filter((t) => t !== 'message.delta');
    expect(types).toEqual(['turn.started', 'tool.called', 'tool.result', 'message.completed']);
  });

  it('with accounting, prices its call and writes the usage once, also when retried', async () => {
    const args = { ...(await startTurn('c-acct', 'What does this cost?')), accounting: { userId: 'user-1', actor } };
    const result = await kit.run(kit.activities.llmStep, args);
    expect(result.cost).toMatchObject({ priced: true, costNanos: expect.any(Number) });
    const again = await kit.run(kit.activities.llmStep, args, { attempt: 2 });
    expect(again).toMatchObject({ replayed: true, cost: result.cost });
    // recordLlmCall for the same call (a workflow replaying without the patch) charges nothing more.
    await kit.run(kit.activities.recordLlmCall, { ...args, userId: 'user-1', template: 'assistant', model: result.model, usage: result.usage, latencyMs: 1, ttftMs: 1, status: 'ok', actor });
    const usage = await kit.collections.usageEvents.find({ chat_id: 'c-acct' });
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({
      event_id: eventIds.llmCall(APP, 'c-acct', 'c-acct-t1', 0),
      user_id: 'user-1',
      template: 'assistant',
      input_tokens: result.usage.input_tokens,
      output_tokens: result.usage.output_tokens,
      cost_nanos: result.cost?.costNanos,
      status: 'ok',
    });
    expect(await kit.collections.auditEvents.countDocuments({ action: 'llm_interaction', 'resource.id': usage[0]?.event_id })).toBe(1);
  });

  it('without accounting, leaves the usage to recordLlmCall', async () => {
    const result = await kit.run(kit.activities.llmStep, await startTurn('c-noacct', 'Hello'));
    expect(result.cost).toBeUndefined();
    expect(await kit.collections.usageEvents.countDocuments({ chat_id: 'c-noacct' })).toBe(0);
  });

  it('answers without tools when they are not allowed', async () => {
    const args = await startTurn('c4', 'Please add [[tool:calculator {"expression":"2+3"}]]', ['calculator']);
    const result = await kit.run(kit.activities.llmStep, { ...args, allowTools: false });
    expect(result.toolCalls).toEqual([]);
    expect(result.finishReason).toBe('stop');
  });
});

describe('llmStep failures', () => {
  it.each([
    ['400', 'llm_bad_request', true],
    ['401', 'llm_auth', true],
    ['404', 'llm_bad_request', true],
    ['429', 'llm_unavailable', false],
    ['503', 'llm_unavailable', false],
    ['midstream', 'llm_unavailable', false],
  ])('maps x-offline-fail %s to %s', async (status, type, nonRetryable) => {
    const chatId = `fail-${status}`;
    const args = await startTurn(chatId, 'Hello');
    const failing = kit.withLlm({ headers: { 'x-offline-fail': status } });
    await expect(kit.run(failing.llmStep, args)).rejects.toMatchObject({ type, nonRetryable });
    expect(await kit.chats.findMessage(chatId, args.messageId)).toBeNull();
  });

  it('stops streaming and rethrows the cancellation when the turn is cancelled', async () => {
    const slow = kit.withLlm({ baseURL: slowModel.url });
    const args = await startTurn('c5', 'Hello, write a long answer please');
    const env = new MockActivityEnvironment({}, { logger: quietLogger });
    const running = env.run(slow.llmStep, args);
    // Cancel once the first delta is out.
    for (let i = 0; i < 100; i++) {
      if ((await kit.events.read(ref('c5'))).some((e) => e.type === 'message.delta')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(await kit.chats.findMessage('c5', args.messageId)).toBeNull();
    const types = (await kit.events.read(ref('c5'))).map((e) => e.type);
    expect(types).not.toContain('message.completed');
  });
});
