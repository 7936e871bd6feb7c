/**
 * A worker killed (SIGKILL) in the middle of a turn, on a real Temporal dev server: a new worker
 * picks the turn up and it completes exactly once — one assistant message, one usage event.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOfflineModel } from '../../src/dev/offline-model';
import { AuditRepository } from '../../src/stores/audit-repository';
import { ChatEvents } from '../../src/stores/chat-events';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { killWorkerProcess, kitWorkerSettings, startChatWorkerProcess } from '../support/spawn-chat-worker';
import { startDevServer } from '../support/temporal';

const APP = 'crashapp';
let env: TestWorkflowEnvironment;
let kit: ChatKit;
let model: Awaited<ReturnType<typeof startOfflineModel>>;

beforeAll(async () => {
  env = await startDevServer();
  // Slow enough per token that the kill lands while the reply is still streaming.
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 150 });
  kit = await createChatKit(env, { label: 'crash', llmBaseUrl: model.url });
});

afterAll(async () => {
  await kit?.close();
  await model?.close();
  await env?.teardown();
});

it('completes a turn once after its worker is killed mid-stream', async () => {
  const ref = { appId: APP, chatId: 'crash-1' };
  const worker = await startChatWorkerProcess(kitWorkerSettings(kit, env.address, model.url));
  const events = new ChatEvents(kit.redis);
  const reply = kit.chats.sendMessage({ ...ref, userId: 'u1', template: kit.template('assistant'), content: 'Tell me about durable execution', turnId: 'crash-turn' });

  // Kill the worker once the reply has started streaming.
  for (let i = 0; i < 600; i++) {
    const seen = await events.read(ref, { count: 1000 });
    if (seen.filter((event) => event.type === 'message.delta').length >= 1) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await killWorkerProcess(worker);

  // A fresh worker takes over: the LLM call's heartbeat times out and it is retried there.
  const answer = await kit.withWorker(() => reply);
  expect(answer.message.content).toMatch(/^Offline reply to: Tell me about durable execution/);

  const collections = tenantCollections(kit.mongo, APP);
  expect(await collections.messages.countDocuments({ chat_id: 'crash-1', role: 'assistant' })).toBe(1);
  expect(await collections.messages.countDocuments({ chat_id: 'crash-1', role: 'user' })).toBe(1);
  expect(await collections.usageEvents.countDocuments({ chat_id: 'crash-1' })).toBe(1);
  expect(await collections.sessions.findOne({ chat_id: 'crash-1' })).toMatchObject({ turn_count: 1 });
  const types = (await events.read(ref, { count: 1000 })).map((event) => event.type);
  expect(types).toContain('turn.restarted');
  expect(types.filter((type) => type === 'turn.completed')).toHaveLength(1);
  expect(await new AuditRepository(kit.mongo).verifyAppAuditChain(APP)).toMatchObject({ valid: true });
}, 120_000);
