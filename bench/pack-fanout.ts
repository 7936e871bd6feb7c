/**
 * bench:pack-fanout — a 1 → 50 → 1 pack (a plan step, 50 steps that each need it, a merge step
 * that needs all 50) against the same 52 turns run one after another as one-shot chat turns, in
 * the same run, on a fresh headless Temporal dev server, FerretDB and Redis. Printed: the
 * speed-up (sequential / pack wall time) at 20 ms per token (the target is ≥ 10×) and at 0 ms per
 * token, where what is left is orchestration: its cost per child step is printed too.
 *
 *   npm run bench:pack-fanout [-- --runs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { createChatActivities } from '../src/activities/chat';
import { createPackActivities } from '../src/activities/packs';
import { ChatClient } from '../src/client/chat-client';
import { PackClient } from '../src/client/pack-client';
import { startOfflineModel } from '../src/dev/offline-model';
import { Teardown } from '../src/dev/teardown';
import { packSchema, type PackDefinition } from '../src/domain/packs';
import { buildPriceBook } from '../src/domain/pricing';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../src/stores/mongo';
import { openRedis } from '../src/stores/redis';
import { loadTemplate } from '../src/stores/templates';
import { workflowsEntry } from '../src/workers/start-workers';
import { CHAT_WORKER_TUNING } from '../src/workers/tuning';
import { median } from './report';
import { connectBenchTemporal, startBenchStack } from './support/bench-stack';
import { installQuietRuntime } from './support/runtime-log';

const root = path.resolve(__dirname, '..');
const QUEUE = 'bench-pack-fanout';
const APP = 'bench-packs';
const WIDTH = 50;

function fanoutPack(): PackDefinition {
  const parts = Array.from({ length: WIDTH }, (_, i) => ({
    id: `part-${i}`,
    template: 'assistant',
    prompt: `Write part ${i} of the report on coastal erosion.`,
    depends_on: ['plan'],
  }));
  return packSchema.parse({
    name: 'fanout',
    max_parallel: WIDTH,
    on_failure: 'fail_fast',
    steps: [
      { id: 'plan', template: 'assistant', prompt: 'Plan a report on coastal erosion in fifty parts.' },
      ...parts,
      { id: 'merge', template: 'assistant', prompt: 'Merge the fifty parts into one report.', depends_on: parts.map((p) => p.id) },
    ],
  });
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 2;
  const teardown = new Teardown((step, error) => process.stderr.write(`stopping ${step} failed: ${String(error)}\n`));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-pack-fanout-'));
  teardown.add('scratch directory', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  const interrupt = () => void teardown.run().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    installQuietRuntime();
    process.stderr.write('starting Temporal dev server, FerretDB, Redis and the offline model...\n');
    const stack = await startBenchStack({ toolsDir: path.join(root, '.tools'), scratchDir: scratch, teardown });
    const model = await startOfflineModel({ tokenLatencyMs: 20 });
    teardown.add('offline model (paced)', () => model.close());
    const { client, nativeConnection } = await connectBenchTemporal(stack.temporalAddress, teardown);

    const mongo = new MongoStores(defaultStorageResolver({ uri: stack.mongoUri, db: 'tessera_bench_packs' }));
    teardown.add('MongoDB client', () => mongo.close());
    await ensureMongoIndexes(await mongo.dbFor('_system'));
    const redis = openRedis(stack.redisUrl, { keyPrefix: 'bench:' });
    teardown.add('Redis client', () => redis.quit());
    const activities = {
      ...createChatActivities({
        mongo,
        redis,
        llm: new OpenAI({ apiKey: 'offline', baseURL: model.url, maxRetries: 0 }),
        priceBook: buildPriceBook(),
        httpAllowlist: [],
      }),
      ...createPackActivities({ mongo, redis }),
    };
    const worker = await Worker.create({
      ...CHAT_WORKER_TUNING,
      connection: nativeConnection,
      taskQueue: QUEUE,
      workflowsPath: workflowsEntry(),
      activities,
    });
    const running = worker.run();
    teardown.add('worker', async () => {
      worker.shutdown();
      await running;
    });

    const templates = path.join(root, 'templates');
    const template = loadTemplate(templates, 'assistant');
    const pack = fanoutPack();
    const packs = new PackClient(client, { taskQueue: QUEUE });
    const chats = new ChatClient(client, { taskQueue: QUEUE });
    const prompts = pack.steps.map((step) => step.prompt);
    let seq = 0;

    const runPack = async (): Promise<number> => {
      const started = performance.now();
      const handle = await packs.start({
        appId: APP,
        runId: `r${++seq}`,
        userId: 'bench',
        pack,
        template: () => template,
        input: {},
        appConcurrency: WIDTH,
        actor: { actor_id: 'app:bench', roles: ['app'], app_id: APP },
      });
      const result = await handle.result();
      if (result.status !== 'completed') throw new Error(`pack run ended ${result.status}`);
      return performance.now() - started;
    };
    const runSequential = async (): Promise<number> => {
      const started = performance.now();
      for (const content of prompts) {
        await chats.sendMessage({ appId: APP, chatId: `seq-${++seq}`, userId: 'bench', template, content });
      }
      return performance.now() - started;
    };

    const results: Record<string, { pack: number; sequential: number }> = {};
    for (const tokenMs of [20, 0]) {
      model.setTokenLatencyMs(tokenMs);
      await runPack(); // warm-up: first-run costs (bundle caches, connections) are not the pack's
      const packTimes: number[] = [];
      const seqTimes: number[] = [];
      for (let i = 0; i < runs; i++) {
        process.stderr.write(`  ${tokenMs} ms/token, round ${i + 1}/${runs}...\n`);
        packTimes.push(await runPack());
        seqTimes.push(await runSequential());
      }
      results[`${tokenMs}`] = { pack: median(packTimes), sequential: median(seqTimes) };
    }

    const slow = results['20']!;
    const fast = results['0']!;
    const steps = pack.steps.length;
    const rows = [
      ['20 ms/token', `${(slow.sequential / 1000).toFixed(2)} s`, `${(slow.pack / 1000).toFixed(2)} s`, `${(slow.sequential / slow.pack).toFixed(1)}×`],
      ['0 ms/token', `${(fast.sequential / 1000).toFixed(2)} s`, `${(fast.pack / 1000).toFixed(2)} s`, `${(fast.sequential / fast.pack).toFixed(1)}×`],
    ];
    process.stdout.write(`\npack 1 → ${WIDTH} → 1 (${steps} steps) vs ${steps} sequential one-shot turns, median of ${runs}\n`);
    process.stdout.write(`${['model pace', 'sequential', 'pack', 'speed-up'].join('\t')}\n`);
    for (const row of rows) process.stdout.write(`${row.join('\t')}\n`);
    process.stdout.write(
      `at 0 ms/token: a sequential turn costs ${(fast.sequential / steps).toFixed(1)} ms; the pack's wall time per child step is ` +
        `${(fast.pack / steps).toFixed(1)} ms (critical path of 3 turns, 50 in parallel on 2 cores)\n`,
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'pack-fanout', runs, steps, speedup_20ms: slow.sequential / slow.pack, speedup_0ms: fast.sequential / fast.pack, results })}\n`,
    );
    process.stdout.write(`target ≥ 10× at 20 ms/token: ${slow.sequential / slow.pack >= 10 ? 'met' : 'MISSED'}\n`);
  } finally {
    await teardown.run();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
