/**
 * One fresh Tessera stack for the ops benchmarks: a Temporal dev server (fairness on or off),
 * FerretDB, Redis, the offline model, a chat worker with a few activity slots (so a flood makes a
 * backlog, where fairness matters), the API over HTTP, and — when the autopilot is on — the ops
 * worker with its fast monitoring loop.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { createChatActivities } from '../../src/activities/chat';
import { createApiRuntime } from '../../src/api/build-runtime';
import { buildApi } from '../../src/api/server';
import { freePort, type ChildService } from '../../src/dev/child-service';
import { startFerretDb, startRedisServer, startTemporalDevServer, toolPaths } from '../../src/dev/embedded-services';
import { startOfflineModel } from '../../src/dev/offline-model';
import { connectBenchTemporal } from './bench-stack';
import type { Teardown } from '../../src/dev/teardown';
import { buildPriceBook } from '../../src/domain/pricing';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { loadWorkflowBundle } from '../../src/workers/workflow-bundle';
import { startOpsWorker } from '../../src/workers/ops-worker';
import { TASK_QUEUES } from '../../src/workflows/contract';
import type { opsMonitor } from '../../src/workflows/ops-monitor';
import type { Redis } from 'ioredis';

export interface OpsBenchStack {
  url: string;
  adminKey: string;
  redis: Redis;
  temporal: Client;
  call(method: string, path: string, key: string, body?: unknown): Promise<Response>;
  createApp(appId: string, body?: Record<string, unknown>): Promise<string>;
}

export interface OpsBenchOptions {
  scratchDir: string;
  toolsDir: string;
  teardown: Teardown;
  fairness: boolean;
  autopilot: boolean;
  /** Chat worker activity slots: few, so a flood queues. */
  activitySlots: number;
  tokenLatencyMs: number;
}

export async function startOpsBenchStack(opts: OpsBenchOptions): Promise<OpsBenchStack> {
  const tools = toolPaths(opts.toolsDir);
  const [temporalPort, mongoPort, redisPort] = [await freePort(), await freePort(), await freePort()];
  const settled = await Promise.allSettled<ChildService>([
    startTemporalDevServer({ binary: tools.temporal, dataDir: path.join(opts.scratchDir, 'temporal'), port: temporalPort, namespace: 'default', fairness: opts.fairness }),
    startFerretDb({ binary: tools.ferretdb, dataDir: path.join(opts.scratchDir, 'mongo'), port: mongoPort }),
    startRedisServer({ binary: tools.redisServer, dataDir: opts.scratchDir, port: redisPort, persist: false }),
  ]);
  for (const result of settled) if (result.status === 'fulfilled') opts.teardown.add(result.value.name, () => result.value.stop());
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;

  const model = await startOfflineModel({ port: 0, tokenLatencyMs: opts.tokenLatencyMs });
  opts.teardown.add('offline model', () => model.close());
  const mongo = new MongoStores(defaultStorageResolver({ uri: `mongodb://127.0.0.1:${mongoPort}/`, db: 'bench' }));
  opts.teardown.add('mongo', () => mongo.close());
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  const redis = openRedis(`redis://127.0.0.1:${redisPort}`, { keyPrefix: 'bench:' });
  opts.teardown.add('redis', async () => void (await redis.quit()));
  const address = `127.0.0.1:${temporalPort}`;
  const { client: temporal, nativeConnection: native } = await connectBenchTemporal(address, opts.teardown);
  const bundle = await loadWorkflowBundle(path.join(opts.scratchDir, 'cache'));
  const llm = new OpenAI({ apiKey: 'offline', baseURL: model.url, maxRetries: 0 });

  const chatWorker = await Worker.create({
    connection: native,
    taskQueue: TASK_QUEUES.chat,
    workflowBundle: bundle,
    activities: createChatActivities({ mongo, redis, llm, priceBook: buildPriceBook(), httpAllowlist: [] }),
    maxConcurrentActivityTaskExecutions: opts.activitySlots,
  });
  const chatRunning = chatWorker.run();
  opts.teardown.add('chat worker', async () => {
    if (chatWorker.getState() === 'RUNNING') chatWorker.shutdown();
    await chatRunning;
  });
  if (opts.autopilot) {
    const ops = await startOpsWorker({
      connection: native,
      namespace: 'default',
      workflowBundle: bundle,
      deps: { mongo, redis, temporal, taskQueue: TASK_QUEUES.ops, notifier: { notify: async () => undefined } },
    });
    opts.teardown.add('ops worker', () => ops.shutdown());
    const loop = await temporal.workflow.start<typeof opsMonitor>('opsMonitor', {
      workflowId: 'ops-monitor',
      taskQueue: TASK_QUEUES.ops,
      args: [{ mode: 'loop', intervalSeconds: 1, realertSeconds: 2 }],
    });
    opts.teardown.add('ops loop', async () => void (await loop.terminate('bench over').catch(() => undefined)));
  }

  const adminKey = `tsa_${randomBytes(18).toString('base64url')}`;
  const runtime = createApiRuntime({
    temporal,
    mongo,
    redis,
    secrets: { adminKey, jwtSecret: randomBytes(32).toString('base64url'), keyPepper: randomBytes(32).toString('base64url') },
    templatesDir: path.resolve(__dirname, '../../templates'),
    publicUrl: 'http://127.0.0.1:0',
  });
  const api = await buildApi({ logLevel: 'silent', probes: [], runtime });
  await api.listen({ host: '127.0.0.1', port: 0 });
  opts.teardown.add('api', () => api.close());
  const listening = api.server.address();
  const url = `http://127.0.0.1:${typeof listening === 'object' && listening ? listening.port : 0}`;
  runtime.publicUrl = url;

  const call: OpsBenchStack['call'] = (method, route, key, body) =>
    fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  return {
    url,
    adminKey,
    redis,
    temporal,
    call,
    async createApp(appId, body = {}) {
      const response = await call('POST', '/v1/apps', adminKey, { app_id: appId, name: appId, ...body });
      if (response.status !== 201) throw new Error(`creating ${appId}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { api_key: string }).api_key;
    },
  };
}

/** Opens `count` chats for an app; returns their ids. */
export async function openChats(stack: OpsBenchStack, key: string, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const chatId of ids) {
    const response = await stack.call('POST', '/v1/sessions', key, { template: 'assistant', user_id: 'bench', chat_id: chatId });
    if (response.status !== 200) throw new Error(`session ${chatId}: ${response.status}`);
  }
  return ids;
}

/** Sends a message and waits for its reply; returns the HTTP status, the time it took and any Retry-After (s). */
export async function timedTurn(
  stack: OpsBenchStack,
  key: string,
  chatId: string,
  content: string,
): Promise<{ status: number; ms: number; retryAfterSeconds?: number }> {
  const started = performance.now();
  const response = await stack.call('POST', `/v1/chats/${chatId}/messages`, key, { content });
  await response.arrayBuffer();
  const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
  return { status: response.status, ms: performance.now() - started, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) };
}

/** Keeps every chat busy with back-to-back turns until `stop()`; a refused turn is sent again when
 * its Retry-After says (as a client library would), at least 250 ms later. */
export function flood(stack: OpsBenchStack, key: string, chats: string[]): { stop(): Promise<void>; sent(): number } {
  let running = true;
  let sent = 0;
  const loops = chats.map(async (chatId) => {
    while (running) {
      const { status, retryAfterSeconds = 0 } = await timedTurn(stack, key, chatId, `Tell me a long story ${sent++}`);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, Math.max(250, retryAfterSeconds * 1000)));
    }
  });
  return {
    sent: () => sent,
    async stop() {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
