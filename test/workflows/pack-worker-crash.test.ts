/**
 * A pack run whose only worker is killed (SIGKILL) while three of its steps are streaming their
 * answers, on a real Temporal dev server: a fresh worker finishes the run, and every step's LLM call
 * happened exactly once.
 *
 * "Exactly once", counted at the offline model per step prompt (the step's rendered user message;
 * the model is deterministic, so a prompt identifies its step):
 * - an ATTEMPT is one request the model received for the prompt; a COMPLETION is an attempt the
 *   model answered in full (its stream written through `[DONE]`). An attempt cut mid-stream by the
 *   kill is not a completion: Temporal retries that call (heartbeat timeout) and the retry is an
 *   attempt of the same call, not a duplicate;
 * - every step's prompt has exactly ONE completion;
 * - a step that had finished before the kill (its answer complete) is never asked again: its
 *   attempts after the run equal its attempts at the kill (one);
 * - a step streaming at the kill has one cut attempt and one completion; a step that had not
 *   started has one attempt;
 * - and what the platform records agrees: one assistant message and one usage event per step,
 *   every step's turn in the chat of its first packStep attempt (no step workflow was retried).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { packIds } from '../../src/domain/packs';
import { ChatEvents } from '../../src/stores/chat-events';
import { ChatRepository } from '../../src/stores/chat-repository';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { inlinePack, startRun } from '../support/pack-kit';
import { killWorkerProcess, kitWorkerSettings, startChatWorkerProcess } from '../support/spawn-chat-worker';
import { startDevServer } from '../support/temporal';

const APP = 'packcrash';
const RUN = 'crash-run';
const SECTIONS = ['history', 'economics', 'outlook'];
let env: TestWorkflowEnvironment;
let kit: ChatKit;
let model: RunningOfflineModel;

beforeAll(async () => {
  env = await startDevServer();
  // Slow enough per token that the kill lands while the middle steps are still streaming.
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 120 });
  kit = await createChatKit(env, { label: 'packcrash', llmBaseUrl: model.url });
});

afterAll(async () => {
  await kit?.close();
  await model?.close();
  await env?.teardown();
});

// outline → three sections side by side → summary.
const pack = inlinePack({
  name: 'crashbrief',
  inputs: ['topic'],
  max_parallel: 4,
  steps: [
    { id: 'outline', template: 'assistant', prompt: 'Outline a brief about {{input.topic}}.' },
    ...SECTIONS.map((id) => ({
      id,
      template: 'assistant',
      depends_on: ['outline'],
      prompt: `Using this outline:\n{{steps.outline.output}}\n\nWrite the ${id} section about {{input.topic}}.`,
    })),
    {
      id: 'summary',
      template: 'assistant',
      depends_on: SECTIONS,
      prompt: `Summarize:\n${SECTIONS.map((id) => `{{steps.${id}.output}}`).join('\n\n')}`,
    },
  ],
});
const STEPS = pack.steps.map((step) => step.id);

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

it('finishes a pack run after its worker is killed mid-step, each step answered once', async () => {
  const worker = await startChatWorkerProcess(kitWorkerSettings(kit, env.address, model.url));
  model.load.reset();
  const handle = await startRun(kit, env.client, { appId: APP, runId: RUN, pack, input: { topic: 'tidal power' } });

  // Kill once all three sections are streaming (a delta each, however batched, and all three at the model).
  const events = new ChatEvents(kit.redis);
  const deltas = async (step: string) =>
    (await events.read({ appId: APP, chatId: packIds.stepChat(RUN, step, 1) }, { count: 1000 })).filter((event) => event.type === 'message.delta').length;
  await until('three sections streaming', async () => model.load.read().inFlight === 3 && (await Promise.all(SECTIONS.map(deltas))).every((n) => n >= 1));
  const atKill = model.load.byPrompt();
  await killWorkerProcess(worker);

  const result = await kit.withWorker(() => handle.result());
  expect(result.status).toBe('completed');
  expect(Object.fromEntries(STEPS.map((id) => [id, result.steps[id]?.status]))).toEqual(Object.fromEntries(STEPS.map((id) => [id, 'completed'])));

  const chats = new ChatRepository(tenantCollections(kit.mongo, APP));
  const calls = model.load.byPrompt();
  const seen: Record<string, { before: number; beforeCompleted: number; requests: number; completed: number }> = {};
  for (const step of STEPS) {
    // The step's prompt as its turn stored it (and as the model received it).
    const [prompt] = await chats.transcript(packIds.stepChat(RUN, step, 1), { last: 10 });
    expect(prompt?.role).toBe('user');
    const before = atKill.get(prompt!.content) ?? { requests: 0, completed: 0 };
    const after = calls.get(prompt!.content) ?? { requests: 0, completed: 0 };
    seen[step] = { before: before.requests, beforeCompleted: before.completed, requests: after.requests, completed: after.completed };
  }
  expect(seen).toEqual({
    // Finished before the kill: asked once, never again.
    outline: { before: 1, beforeCompleted: 1, requests: 1, completed: 1 },
    // Streaming at the kill: that attempt was cut; its retry is the one completion.
    ...Object.fromEntries(SECTIONS.map((id) => [id, { before: 1, beforeCompleted: 0, requests: 2, completed: 1 }])),
    // Started after the kill, on the fresh worker.
    summary: { before: 0, beforeCompleted: 0, requests: 1, completed: 1 },
  });
  // No request the per-prompt count missed.
  expect(model.load.read().requests).toBe(STEPS.length + SECTIONS.length);

  // The records agree: one reply and one charge per step, all in each step's first attempt.
  const collections = tenantCollections(kit.mongo, APP);
  const replies = await collections.messages.find({ role: 'assistant' });
  expect(replies.map((message) => message.chat_id).sort()).toEqual(STEPS.map((id) => packIds.stepChat(RUN, id, 1)).sort());
  const usage = await collections.usageEvents.find({});
  expect(usage.map((event) => event.chat_id).sort()).toEqual(STEPS.map((id) => packIds.stepChat(RUN, id, 1)).sort());
  expect(result.totals.cost_nanos).toBe(usage.reduce((sum, event) => sum + event.cost_nanos, 0));
}, 180_000);
