/**
 * bench/turn-cost — what one chat turn asks of each service, counted (not timed): the workflow
 * history events and billable Temporal actions it adds, the dev server's own frontend requests and
 * persistence writes, the MongoDB commands of the API and of the worker, and the Redis commands of
 * each. Turns go through the HTTP API (app key), as an app's backend sends them, on the embedded
 * services; the counts feed the model in docs/scaling.md.
 *
 * A last phase sends turns to 50 chats at once and reads the chat worker's own metrics (the
 * runtime's Prometheus exporter): how low its task slots went, sticky-cache hits, misses and
 * evictions, and how long tasks waited for a poller — what would say that a worker setting
 * (slots, sticky cache, pollers; `src/workers/tuning.ts`) is the limit.
 *
 *   npm run bench:turn-cost [-- --turns N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { createChatActivities } from '../src/activities/chat';
import { createApiRuntime } from '../src/api/build-runtime';
import { buildApi } from '../src/api/server';
import { Teardown } from '../src/dev/teardown';
import { buildPriceBook } from '../src/domain/pricing';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../src/stores/mongo';
import { workflowsEntry } from '../src/workers/start-workers';
import { CHAT_WORKER_TUNING } from '../src/workers/tuning';
import { workflowIds } from '../src/workflows/contract';
import { connectBenchTemporal, startBenchStack } from './support/bench-stack';
import { countMongoCommands, diff, monitorRedis, prometheusCounts, temporalServerCounts, type Counts } from './support/op-counts';
import { freePort } from '../src/dev/child-service';
import { installQuietRuntime } from './support/runtime-log';
import { runBenchMain } from './support/bench-run';

const root = path.resolve(__dirname, '..');
const TASK_QUEUE = 'cost-chat';
const DB = 'tessera_cost';
const PREFIX = 'cost:';
const APP = 'costapp';
const SERVER_METRICS = ['persistence_requests', 'service_requests'];
const CONCURRENT_CHATS = 50;
const CONCURRENT_TURNS = 4;
const WORKER_COUNTERS = [
  'temporal_sticky_cache_hit',
  'temporal_sticky_cache_miss',
  'temporal_sticky_cache_total_forced_eviction',
  'temporal_workflow_task_schedule_to_start_latency_sum',
  'temporal_workflow_task_schedule_to_start_latency_count',
  'temporal_activity_schedule_to_start_latency_sum',
  'temporal_activity_schedule_to_start_latency_count',
];

interface Snapshot {
  mongo: Counts;
  redis: Counts;
  server: Counts;
  history: Counts;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--turns');
  const turns = at > 0 ? Number(process.argv[at + 1]) : 20;
  const teardown = new Teardown((step, error) => process.stderr.write(`stopping ${step} failed: ${String(error)}\n`));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-turn-cost-'));
  teardown.add('scratch directory', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  try {
    const workerMetricsPort = await freePort();
    installQuietRuntime({ metricsPort: workerMetricsPort });
    const workerMetricsUrl = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    const stack = await startBenchStack({ toolsDir: path.join(root, '.tools'), scratchDir: scratch, teardown });
    const { client, nativeConnection } = await connectBenchTemporal(stack.temporalAddress, teardown);

    // The API and the worker each get their own MongoDB client and named Redis connection.
    const side = async (label: string) => {
      const mongo = new MongoStores(defaultStorageResolver({ uri: stack.mongoUri, db: DB }), { monitorCommands: true });
      teardown.add(`${label} MongoDB`, () => mongo.close());
      const redis = new Redis(stack.redisUrl, { keyPrefix: PREFIX, maxRetriesPerRequest: 3, enableAutoPipelining: true, connectionName: label });
      teardown.add(`${label} Redis`, async () => void (await redis.quit()));
      return { mongo, redis, mongoCounts: countMongoCommands(await mongo.client(stack.mongoUri), label) };
    };
    const api = await side('api');
    const worker = await side('worker');
    await ensureMongoIndexes(await api.mongo.dbFor('_system'));
    const redisMonitor = await monitorRedis(stack.redisUrl);
    teardown.add('Redis monitor', () => redisMonitor.stop());

    const secrets = { adminKey: `tsa_${randomBytes(18).toString('base64url')}`, jwtSecret: randomBytes(32).toString('base64url'), keyPepper: randomBytes(32).toString('base64url') };
    const runtime = createApiRuntime({
      temporal: client,
      mongo: api.mongo,
      redis: api.redis,
      secrets,
      templatesDir: path.join(root, 'templates'),
      publicUrl: 'http://127.0.0.1:0',
      chatTaskQueue: TASK_QUEUE,
    });
    const server = await buildApi({ logLevel: 'silent', probes: [], runtime });
    await server.listen({ host: '127.0.0.1', port: 0 });
    teardown.add('API', () => server.close());
    const address = server.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const chatWorker = await Worker.create({
      ...CHAT_WORKER_TUNING,
      connection: nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: workflowsEntry(),
      activities: createChatActivities({
        mongo: worker.mongo,
        redis: worker.redis,
        llm: new OpenAI({ apiKey: 'offline', baseURL: stack.llmBaseUrl, maxRetries: 0 }),
        priceBook: buildPriceBook(),
        httpAllowlist: [],
      }),
    });
    const running = chatWorker.run();
    teardown.add('worker', async () => {
      chatWorker.shutdown();
      await running;
    });

    const call = async (method: string, route: string, key: string, body?: unknown) => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    };
    const appKey = String((await call('POST', '/v1/apps', secrets.adminKey, { app_id: APP, name: APP, tier: 'enterprise' })).api_key);
    const newChat = async () => String((await call('POST', '/v1/sessions', appKey, { template: 'assistant', user_id: 'u1' })).chat_id);
    const send = (chatId: string, i: number) => call('POST', `/v1/chats/${chatId}/messages`, appKey, { content: `question number ${i}: tell me about it` });

    const snapshot = async (chatIds: string[]): Promise<Snapshot> => ({
      mongo: { ...api.mongoCounts(), ...worker.mongoCounts() },
      redis: await redisMonitor.counts(),
      server: await temporalServerCounts(stack.temporalMetricsUrl, SERVER_METRICS),
      history: await historyCounts(client, chatIds),
    });
    const measure = async (chatIds: string[], work: () => Promise<void>) => {
      const before = await snapshot(chatIds);
      await work();
      await settle();
      const after = await snapshot(chatIds);
      return { mongo: diff(after.mongo, before.mongo), redis: diff(after.redis, before.redis), server: diff(after.server, before.server), history: diff(after.history, before.history) };
    };

    const steady = await newChat();
    for (let i = 1; i <= 3; i++) await send(steady, i); // warm-up: the session is open, caches are filled
    const perTurn = await measure([steady], async () => {
      for (let i = 4; i < 4 + turns; i++) await send(steady, i);
    });
    let first = '';
    const firstTurn = await measure([], async () => {
      first = await newChat();
      await send(first, 1);
    });
    firstTurn.history = await historyCounts(client, [first]);

    const concurrent = await workerLimits(workerMetricsUrl, async () => {
      const chatIds = await Promise.all(Array.from({ length: CONCURRENT_CHATS }, () => newChat()));
      await Promise.all(chatIds.map(async (chatId) => {
        for (let i = 1; i <= CONCURRENT_TURNS; i++) await send(chatId, i);
      }));
    });

    const report = { turns, perTurn: scale(perTurn, turns), firstTurnOfANewChat: firstTurn, [`${CONCURRENT_CHATS}ChatsAtOnce`]: concurrent };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await teardown.run();
  }
}

/** Runs `work` while sampling the worker's free task slots; the sticky cache and schedule-to-start
 * counters before and after. */
async function workerLimits(url: string, work: () => Promise<void>): Promise<Record<string, unknown>> {
  const before = await prometheusCounts(url, WORKER_COUNTERS, 'task_queue');
  const fewest: Counts = {};
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // A sample the busy exporter does not answer is skipped.
      const slots = await prometheusCounts(url, ['temporal_worker_task_slots_available'], 'worker_type').catch(() => ({}) as Counts);
      for (const [key, free] of Object.entries(slots)) fewest[key] = Math.min(fewest[key] ?? Number.POSITIVE_INFINITY, free);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await work();
  sampling = false;
  await sampler;
  const counters = diff(await prometheusCounts(url, WORKER_COUNTERS, 'task_queue'), before);
  return { fewestFreeSlots: fewest, samples, counters };
}

/** Lets work the last turn started (the session going idle, counters, stream trims) land. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

async function historyCounts(client: Client, chatIds: string[]): Promise<Counts> {
  const counts: Counts = {};
  for (const chatId of chatIds) {
    const history = await client.workflow.getHandle(workflowIds.chat(APP, chatId)).fetchHistory();
    for (const event of history.events ?? []) {
      const type = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
      const key = type.replace(/^EVENT_TYPE_/, '');
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

function scale(result: Record<string, Counts>, turns: number): Record<string, Counts> {
  return Object.fromEntries(
    Object.entries(result).map(([service, counts]) => [
      service,
      Object.fromEntries(Object.entries(counts).sort().map(([key, n]) => [key, Math.round((n / turns) * 100) / 100])),
    ]),
  );
}

runBenchMain(main);
