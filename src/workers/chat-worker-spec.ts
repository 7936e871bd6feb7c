/**
 * What a chat worker needs to run anywhere (in the launcher's process or a worker process of its
 * own): the addresses of its services and its tuning. Built from `Config` by the launcher and
 * handed to worker processes over IPC (never on the command line: it may carry an API key).
 */
import { readFile } from 'node:fs/promises';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { createChatActivities } from '../activities/chat';
import { createPackActivities } from '../activities/packs';
import { DataPlanes, type DataPlaneSetting } from '../stores/data-planes';
import { MongoStores } from '../stores/mongo';
import { startTracing } from '../telemetry/tracing';
import { openRedis } from '../stores/redis';
import { loadPriceBook } from './price-book';
import { workflowsEntry } from './start-workers';
import { CHAT_WORKER_TUNING, type ChatWorkerTuning } from './tuning';

export interface ChatWorkerSpec {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  mongoUri: string;
  mongoDb: string;
  redisUrl: string;
  redisKeyPrefix?: string;
  llm: { baseUrl: string; apiKey?: string | undefined };
  pricingFile?: string | undefined;
  httpAllowlist: string[];
  /** A file holding the bundled workflow code; without it the worker bundles its own. */
  workflowBundleFile?: string;
  /** Apps with a data plane of their own (`TESSERA_DATA_PLANES`): their databases. */
  dataPlanes?: Record<string, DataPlaneSetting>;
  /** OTLP endpoint to export traces to; unset: no tracing (the bundle file must then hold no tracing interceptors). */
  otlpEndpoint?: string;
  /** A worker process's runtime serves its Prometheus metrics (task latencies, slots) on this port. */
  runtimeMetricsPort?: number;
  /** Worker options over `CHAT_WORKER_TUNING` (benchmarks try them one at a time). */
  tuning?: ChatWorkerTuning;
}

/** Runs the chat worker until `signal` aborts; resolves once it has shut down. */
export async function runChatWorker(spec: ChatWorkerSpec, signal: AbortSignal, onReady: () => void): Promise<void> {
  const mongo = new MongoStores(new DataPlanes({ uri: spec.mongoUri, db: spec.mongoDb }, spec.dataPlanes).resolveStorage);
  const tracing = startTracing({ endpoint: spec.otlpEndpoint, serviceName: 'tessera-worker' });
  const redis = openRedis(spec.redisUrl, spec.redisKeyPrefix !== undefined ? { keyPrefix: spec.redisKeyPrefix } : {});
  const connection = await NativeConnection.connect({ address: spec.temporalAddress });
  try {
    const activities = {
      ...createChatActivities({
        mongo,
        redis,
        llm: new OpenAI({ apiKey: spec.llm.apiKey ?? 'unset', baseURL: spec.llm.baseUrl, maxRetries: 0 }),
        priceBook: loadPriceBook(spec.pricingFile),
        httpAllowlist: spec.httpAllowlist,
        temporal: new Client({ connection, namespace: spec.namespace }),
      }),
      // Pack runs and their steps share the chat queue (DESIGN §3).
      ...createPackActivities({ mongo, redis }),
    };
    const worker = await Worker.create({
      ...CHAT_WORKER_TUNING,
      ...spec.tuning,
      ...tracing.workerOptions(spec.workflowBundleFile ? 'prebuilt' : 'source'),
      connection,
      namespace: spec.namespace,
      taskQueue: spec.taskQueue,
      ...(spec.workflowBundleFile
        ? { workflowBundle: { code: await readFile(spec.workflowBundleFile, 'utf8') } }
        : { workflowsPath: workflowsEntry() }),
      activities,
      shutdownGraceTime: '5 seconds',
    });
    const running = worker.run();
    const stop = () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    };
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    onReady();
    await running;
  } finally {
    await connection.close();
    await Promise.allSettled([mongo.close(), redis.quit(), tracing.shutdown()]);
  }
}
