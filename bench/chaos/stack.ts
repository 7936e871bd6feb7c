/**
 * The stack the chaos suite breaks: the embedded Temporal dev server, FerretDB (on PostgreSQL) and
 * Redis (append-only file, so counters survive its restart) on free loopback ports in a scratch
 * directory, the offline model, two API-only processes and two chat worker processes — each a
 * Restartable, so a fault can stop or kill it and the harness (the supervisor) start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type ChildService } from '../../src/dev/child-service';
import { startFerretDb, startRedisServer, startTemporalDevServer, toolPaths } from '../../src/dev/embedded-services';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { ensureMongoIndexes, defaultStorageResolver, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { TASK_QUEUES } from '../../src/workflows/contract';
import { loadWorkflowBundle } from '../../src/workers/workflow-bundle';
import { startWorkerProcesses } from '../../src/workers/worker-processes';
import type { ChatWorkerSpec } from '../../src/workers/chat-worker-spec';
import { API_LISTENING, API_PROCESS_ENTRY, apiProcessEnv } from '../support/stream-processes';
import { Restartable, type Incarnation } from './restartable';

const NAMESPACE = 'default';
const MONGO_DB = 'tessera_chaos';
const REDIS_PREFIX = 'chaos:';
const API_READY_TIMEOUT_MS = 120_000;
/** A reply of 50–150 tokens streams for about 0.5–1.5 s: long enough to be cut mid-stream. */
const MODEL_TOKEN_LATENCY_MS = 10;

export interface ChaosStack {
  dir: string;
  adminKey: string;
  model: RunningOfflineModel;
  temporal: Restartable;
  ferretdb: Restartable;
  redis: Restartable;
  apis: [Restartable, Restartable];
  apiUrls: [string, string];
  workers: [Restartable, Restartable];
  /** The harness's own clients, for the checks. */
  mongo: MongoStores;
  redisClient: ReturnType<typeof openRedis>;
  /** Every process this stack ever started (all incarnations). */
  pids(): number[];
  stop(): Promise<void>;
}

function childExited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** An embedded service as an incarnation (its own stop: SIGTERM, then SIGKILL). */
function serviceIncarnation(service: ChildService): Incarnation {
  return { pid: service.process.pid, exited: childExited(service.process), stop: () => service.stop() };
}

export async function startChaosStack(opts: { toolsDir: string; dir: string }): Promise<ChaosStack> {
  const tools = toolPaths(opts.toolsDir);
  const { dir } = opts;
  const [temporalPort, mongoPort, redisPort, apiPort1, apiPort2] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const mongoUri = `mongodb://127.0.0.1:${mongoPort}/`;
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const started: Restartable[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  // The harness's clients first (they would only log the services going away), then the processes.
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    for (const service of started.splice(0).reverse()) await service.stop().catch(() => undefined);
  };
  try {
    const temporal = new Restartable('Temporal dev server', async () =>
      serviceIncarnation(await startTemporalDevServer({ binary: tools.temporal, dataDir: path.join(dir, 'temporal'), port: temporalPort, namespace: NAMESPACE })),
    );
    const ferretdb = new Restartable('FerretDB', async () =>
      serviceIncarnation(await startFerretDb({ binary: tools.ferretdb, dataDir: path.join(dir, 'mongo'), port: mongoPort })),
    );
    const redis = new Restartable('Redis', async () =>
      serviceIncarnation(await startRedisServer({ binary: tools.redisServer, dataDir: dir, port: redisPort, persist: true })),
    );
    started.push(temporal, ferretdb, redis);
    const [bundle] = await Promise.all([loadWorkflowBundle(path.join(dir, 'cache')), temporal.start(), ferretdb.start(), redis.start()]);

    const mongo = new MongoStores(defaultStorageResolver({ uri: mongoUri, db: MONGO_DB }));
    closers.push(() => mongo.close());
    // What the launcher does before anything writes: the unique indexes the idempotent writes rely on.
    await ensureMongoIndexes(await mongo.dbFor('_system'));
    const redisClient = openRedis(redisUrl, { keyPrefix: REDIS_PREFIX });
    // Redis is stopped on purpose: the checks run once it is back, and ioredis reconnects.
    redisClient.on('error', () => undefined);
    closers.push(async () => redisClient.disconnect());

    const model = await startOfflineModel({ port: 0, tokenLatencyMs: MODEL_TOKEN_LATENCY_MS });
    closers.push(() => model.close());

    const secrets = { adminKey: `tsa_${randomBytes(18).toString('base64url')}`, jwtSecret: randomBytes(32).toString('base64url'), keyPepper: randomBytes(32).toString('base64url') };
    const apiAt = (port: number, index: number) =>
      new Restartable(`API process ${index}`, () =>
        startApiIncarnation(
          apiProcessEnv({ temporalAddress, mongoUri, mongoDb: MONGO_DB, redisUrl, redisPrefix: REDIS_PREFIX, secrets, dataDir: path.join(dir, `api-${index}`), port }),
          path.join(dir, `api-${index}.log`),
        ),
      );
    const apis: [Restartable, Restartable] = [apiAt(apiPort1, 1), apiAt(apiPort2, 2)];
    const spec: ChatWorkerSpec = {
      temporalAddress,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUES.chat,
      mongoUri,
      mongoDb: MONGO_DB,
      redisUrl,
      redisKeyPrefix: REDIS_PREFIX,
      llm: { baseUrl: model.url, apiKey: 'offline' },
      httpAllowlist: [],
      workflowBundleFile: bundle.file,
    };
    const workerAt = (index: number) =>
      new Restartable(`worker process ${index}`, async () => {
        const log = fs.openSync(path.join(dir, `worker-${index}.log`), 'a');
        const processes = await startWorkerProcesses(1, spec, { output: log }).finally(() => fs.closeSync(log));
        return { pid: processes.pids[0], exited: processes.failed.then(() => undefined, () => undefined), stop: () => processes.stop() };
      });
    const workers: [Restartable, Restartable] = [workerAt(1), workerAt(2)];
    started.push(...apis, ...workers);
    await Promise.all([...apis, ...workers].map((process) => process.start()));

    const all = [temporal, ferretdb, redis, ...apis, ...workers];
    return {
      dir,
      adminKey: secrets.adminKey,
      model,
      temporal,
      ferretdb,
      redis,
      apis,
      apiUrls: [`http://127.0.0.1:${apiPort1}`, `http://127.0.0.1:${apiPort2}`],
      workers,
      mongo,
      redisClient,
      pids: () => all.flatMap((process) => process.pids),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The API-only process, its output in a log file; ready once it says it listens. */
async function startApiIncarnation(env: Record<string, string>, logFile: string): Promise<Incarnation> {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', API_PROCESS_ENTRY], { cwd: path.resolve(__dirname, '../..'), env, stdio: ['ignore', 'pipe', log] });
  fs.closeSync(log);
  const exited = childExited(child);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`API process not ready in ${API_READY_TIMEOUT_MS / 1000} s; see ${logFile}`)), API_READY_TIMEOUT_MS);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`API process exited during start-up; see ${logFile}`));
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (API_LISTENING.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  // Keep reading stdout so the pipe never fills.
  child.stdout?.resume();
  return { pid: child.pid, exited, stop };
}
