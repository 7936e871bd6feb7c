/**
 * The whole Tessera stack in one process tree: embedded services as children (unless an external
 * address is configured for them), chDB, workers and API in-process.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { temporalUiUrl, usesSharedServices, type Config } from '../config';
import { createApiRuntime } from '../api/build-runtime';
import { buildApi } from '../api/server';
import { apiLimitsFromConfig } from '../api/limits';
import { dependencyProbes } from '../api/dependency-probes';
import { openClickHouse } from '../stores/clickhouse';
import { migrateClickHouse } from '../stores/clickhouse-migrate';
import { DataPlanes } from '../stores/data-planes';
import { ensureMongoIndexes, MongoStores } from '../stores/mongo';
import { bundlerLogger } from '../telemetry/logging';
import { startTracing } from '../telemetry/tracing';
import { openRedis } from '../stores/redis';
import OpenAI from 'openai';
import { createChatActivities } from '../activities/chat';
import { createPackActivities } from '../activities/packs';
import { loadPriceBook } from '../workers/price-book';
import { startWorkers } from '../workers/start-workers';
import { startWorkerProcesses } from '../workers/worker-processes';
import { startAnalyticsWorker } from '../workers/analytics-worker';
import { ensureOpsMonitor, startOpsWorker } from '../workers/ops-worker';
import { logNotifier, packStoreSwitch } from '../activities/ops';
import { NotifyKeys } from '../domain/ops/notify-crypto';
import { ensureSchedules } from '../workers/schedules';
import { localDirSink } from '../activities/analytics/archive-sink';
import { pseudonymizer } from '../activities/analytics/pseudonym';
import { TASK_QUEUES } from '../workflows/contract';
import { loadWorkflowBundle } from '../workers/workflow-bundle';
import { readOrCreateSecret } from './dev-secrets';
import { Teardown } from './teardown';
import { startupTrace as trace } from './startup-trace';
import { startStackServices, usesOfflineModel, type StartedServices } from './stack-services';
import { startOfflineModel } from './offline-model';

export interface RunningStack {
  apiUrl: string;
  webUiUrl?: string;
  temporalAddress: string;
  adminKey: string;
  embedded: string[];
  /** The child processes this stack started (for supervision and tests). */
  children: { name: string; pid: number | undefined }[];
  stop(): Promise<void>;
}

/** Where the stack's less visible output goes (the launcher's log file); default: `log`, and the
 * worker processes' output straight to this process's. */
export interface StackOutput {
  /** Detail records: the workflow bundler's module listing. */
  detail?: Logger;
  /** Takes each worker process's stdout and stderr. */
  follow?: (output: Readable, source: string) => void;
}

/** `started`: the embedded services, when the caller started them already (`startStackServices`);
 * the stack then owns them (stops them on failure and on stop). */
export async function startStack(config: Config, log: Logger, output: StackOutput = {}, started?: Promise<StartedServices>): Promise<RunningStack> {
  const teardown = new Teardown((step, error) => log.warn({ err: error }, `stopping ${step} failed`));
  try {
    return await start(config, log, output, teardown, started);
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

async function start(config: Config, log: Logger, output: StackOutput, teardown: Teardown, started: Promise<StartedServices> | undefined): Promise<RunningStack> {
  const dataDir = config.dataDir;
  const embedded: string[] = [];
  const childProcesses: RunningStack['children'] = [];

  const useOfflineModel = usesOfflineModel(config);
  // The child processes first (checking every port before anything starts).
  const services = started ?? startStackServices(config);

  // Tracing first: every client and worker below takes its interceptors (nothing when it is off).
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: 'tessera' });
  teardown.add('tracing', () => tracing.shutdown());

  // Independent slow steps run side by side: the child processes (started before this module was
  // loaded, when the launcher passes them in), the workflow bundle (cached on disk across starts)
  // and chDB with its migrations.
  const bundle = trace.step('workflow bundle', loadWorkflowBundle(path.join(dataDir, 'cache'), bundlerLogger(output.detail ?? log, log), tracing.workflowInterceptorModules));
  const clickhouseReady = trace.step('chDB open + migrations', async () => {
    const clickhouse = await openClickHouse({
      url: config.CLICKHOUSE_URL,
      database: config.CLICKHOUSE_DATABASE,
      chdbPath: path.join(dataDir, 'chdb'),
    });
    teardown.add('ClickHouse client', () => clickhouse.close());
    const migrations = await migrateClickHouse(clickhouse);
    if (migrations.applied.length > 0) log.info({ applied: migrations.applied }, 'ClickHouse migrations applied');
    return clickhouse;
  });
  const [servicesSettled, ...inProcess] = await Promise.allSettled([services, bundle, clickhouseReady]);
  if (servicesSettled.status === 'rejected') throw servicesSettled.reason; // a port in use: nothing started
  const settled = [...servicesSettled.value, ...inProcess];
  for (const result of servicesSettled.value) {
    if (result.status === 'fulfilled' && result.value) {
      const child = result.value;
      embedded.push(child.name);
      childProcesses.push({ name: child.name, pid: child.process.pid });
      teardown.add(child.name, () => child.stop());
    }
  }
  throwFirstFailure(settled);

  let llm = { baseUrl: config.OPENAI_BASE_URL ?? 'https://api.openai.com/v1', apiKey: config.OPENAI_API_KEY };
  if (useOfflineModel) {
    const model = await startOfflineModel({
      port: config.OFFLINE_MODEL_PORT,
      tokenLatencyMs: config.OFFLINE_MODEL_TOKEN_LATENCY_MS,
    });
    teardown.add('offline model', () => model.close());
    embedded.push('offline model');
    llm = { baseUrl: model.url, apiKey: 'offline' };
  }

  const mongoUri = config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.FERRETDB_PORT}/`;
  // Apps on a dedicated data plane have a database (and a chat task queue) of their own.
  const planes = new DataPlanes({ uri: mongoUri, db: config.MONGODB_DB }, config.TESSERA_DATA_PLANES ?? {});
  const mongo = new MongoStores(planes.resolveStorage);
  teardown.add('MongoDB client', () => mongo.close());
  await trace.step('MongoDB indexes', async () => ensureMongoIndexes(await mongo.dbFor('_system')));
  for (const plane of planes.dedicated()) await ensureMongoIndexes(await mongo.dbFor(plane.appId));

  const clickhouse = await clickhouseReady;
  if (!config.CLICKHOUSE_URL) embedded.push('chDB (in-process)');

  const redis = openRedis(config.REDIS_URL ?? `redis://127.0.0.1:${config.REDIS_PORT}`, { keyPrefix: config.REDIS_KEY_PREFIX });
  teardown.add('Redis client', () => redis.quit());

  const temporalAddress = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
  const connection = await trace.step('Temporal client connection', Connection.connect({ address: temporalAddress }));
  teardown.add('Temporal client', () => connection.close());
  const nativeConnection = await trace.step('Temporal worker connection', NativeConnection.connect({ address: temporalAddress }));
  teardown.add('Temporal worker connection', () => nativeConnection.close());
  const clientOptions = {
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(tracing.clientInterceptors ? { interceptors: tracing.clientInterceptors } : {}),
  };
  const workerExtra = tracing.workerOptions('prebuilt');
  const pseudonymize = pseudonymizer(config.TESSERA_PSEUDONYM_KEY ?? readOrCreateSecret(dataDir, 'pseudonym-key'));
  // The notification key (channel secrets, approve/reject links) is the ops worker's and the API's.
  // Generated only for a private stack: a worker replica of a shared deployment (Temporal, MongoDB
  // and Redis external) uses the configured key or none, as tessera-api does, never one of its own.
  const notifyKey = config.TESSERA_NOTIFY_KEY ?? (usesSharedServices(config) ? undefined : readOrCreateSecret(dataDir, 'notify-key'));
  const adminKey = config.TESSERA_ADMIN_KEY ?? readOrCreateSecret(dataDir, 'admin-key', 'tsa_');
  const publicUrl = config.TESSERA_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;

  // The chat workers first, then the API: /api/health is 200 once a chat turn can run. The analytics
  // and ops workers are on no turn's path (their tasks wait in Temporal meanwhile), so they start
  // after the API listens, side by side, instead of taking the 2 cores the chat worker's start
  // needs (each Worker.create loads the workflow bundle into its own threads; docs/scaling.md,
  // "Start-up"). The stack is returned once all are polling; both settle before a failure is thrown,
  // so the teardown holds every worker that did start.
  await trace.step('chat workers', startChatWorkers());
  const api = await trace.step('API build', buildTheApi());
  teardown.add('API', () => api.close());

  async function startChatWorkers(): Promise<void> {
    const activities = {
      ...createChatActivities({
        mongo,
        redis,
        llm: new OpenAI({ apiKey: llm.apiKey ?? 'unset', baseURL: llm.baseUrl, maxRetries: 0 }),
        priceBook: loadPriceBook(config.TESSERA_PRICING_FILE),
        httpAllowlist: config.TESSERA_HTTP_ALLOWLIST,
        temporal: new Client(clientOptions),
      }),
      ...createPackActivities({ mongo, redis }),
    };
    if (config.TESSERA_WORKER_PROCESSES > 0) {
      // The chat worker runs in processes of its own (more cores than one event loop can use).
      const spec = {
        temporalAddress,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: TASK_QUEUES.chat,
        mongoUri,
        mongoDb: config.MONGODB_DB,
        redisUrl: config.REDIS_URL ?? `redis://127.0.0.1:${config.REDIS_PORT}`,
        redisKeyPrefix: config.REDIS_KEY_PREFIX,
        llm,
        pricingFile: config.TESSERA_PRICING_FILE,
        httpAllowlist: config.TESSERA_HTTP_ALLOWLIST,
        workflowBundleFile: (await bundle).file,
        ...(config.TESSERA_DATA_PLANES ? { dataPlanes: config.TESSERA_DATA_PLANES } : {}),
        ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
      };
      // The shared queue's processes, and one process for each dedicated plane's queue.
      for (const [count, taskQueue] of [[config.TESSERA_WORKER_PROCESSES, TASK_QUEUES.chat] as const, ...planes.dedicated().map((plane) => [1, plane.taskQueue] as const)]) {
        const processes = await trace.step(`worker processes (${taskQueue})`, startWorkerProcesses(count, { ...spec, taskQueue }, output.follow ? { follow: output.follow } : {}));
        teardown.add(`worker processes (${taskQueue})`, () => processes.stop());
        processes.failed.catch((error: unknown) => log.error({ err: error, task_queue: taskQueue }, 'a worker process stopped'));
      }
    } else {
      const workers = await startWorkers({
        connection: nativeConnection,
        namespace: config.TEMPORAL_NAMESPACE,
        activities,
        workflowBundle: await bundle,
        dedicatedTaskQueues: planes.dedicated().map((plane) => plane.taskQueue),
        extra: workerExtra,
      });
      teardown.add('workers', () => workers.shutdown());
      workers.done.catch((error: unknown) => log.error({ err: error }, 'a worker stopped with an error'));
    }
  }

  async function startAnalytics(): Promise<void> {
    // Analytics (ETL, rollups, retention) runs in this process: its activities use this process's chDB.
    const analyticsWorker = await startAnalyticsWorker({
      extra: workerExtra,
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      workflowBundle: await bundle,
      deps: {
        mongo,
        clickhouse,
        pseudonymize,
        priceBook: loadPriceBook(config.TESSERA_PRICING_FILE),
        archive: localDirSink(config.TESSERA_ARCHIVE_DIR ?? path.join(dataDir, 'archive')),
        temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
      },
    });
    teardown.add('analytics worker', () => analyticsWorker.shutdown());
    analyticsWorker.done.catch((error: unknown) => log.error({ err: error }, 'the analytics worker stopped with an error'));
    if (config.TESSERA_SCHEDULES === 'on') {
      const schedules = await trace.step('analytics schedules', ensureSchedules(new Client(clientOptions)));
      log.info({ schedules }, 'analytics schedules in place');
    }
  }

  async function startOps(): Promise<void> {
    // The ops autopilot: its worker, the fast monitoring loop and the backstop Schedule.
    const temporalClient = new Client(clientOptions);
    const opsWorker = await startOpsWorker({
      extra: workerExtra,
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      workflowBundle: await bundle,
      deps: {
        mongo,
        redis,
        temporal: temporalClient,
        taskQueue: TASK_QUEUES.ops,
        llm: { client: new OpenAI({ apiKey: llm.apiKey ?? 'unset', baseURL: llm.baseUrl, maxRetries: 0 }), model: 'gpt-4.1-mini' },
        notifier: logNotifier(log),
        notify: { ...(notifyKey ? { keys: new NotifyKeys(notifyKey) } : {}), publicUrl },
        packSwitch: packStoreSwitch(mongo),
      },
    });
    teardown.add('ops worker', () => opsWorker.shutdown());
    opsWorker.done.catch((error: unknown) => log.error({ err: error }, 'the ops worker stopped with an error'));
    const monitor = await trace.step('ops monitor', ensureOpsMonitor(temporalClient, {
      scheduleSeconds: config.TESSERA_OPS_MONITOR_INTERVAL_SECONDS,
      fastLoop: config.TESSERA_OPS_FAST_LOOP === 'on',
    }));
    log.info(monitor, 'ops monitor in place');
  }

  function buildTheApi() {
    return buildApi({
      traceRequests: tracing.enabled,
      logLevel: config.LOG_LEVEL,
      logger: log,
      limits: apiLimitsFromConfig(config),
      ...(config.TESSERA_WORKER_METRICS_PORT ? { workerMetricsUrl: `http://127.0.0.1:${config.TESSERA_WORKER_METRICS_PORT}/metrics` } : {}),
      probes: dependencyProbes({
        temporal: connection,
        mongo: () => mongo.dbFor('_system'),
        clickhouse,
        redis,
        llm,
      }),
      runtime: createApiRuntime({
        temporal: new Client(clientOptions),
        chatTaskQueueFor: (appId) => planes.chatTaskQueue(appId),
        mongo,
        redis,
        secrets: {
          adminKey,
          jwtSecret: config.TESSERA_JWT_SECRET ?? readOrCreateSecret(dataDir, 'jwt-secret'),
          keyPepper: config.TESSERA_KEY_PEPPER ?? readOrCreateSecret(dataDir, 'key-pepper'),
        },
        templatesDir: path.resolve(config.TESSERA_TEMPLATES_DIR),
        publicUrl,
        analytics: { clickhouse, pseudonymize, gridGramsPerKwh: config.TESSERA_GRID_GCO2E_PER_KWH },
        ...(notifyKey ? { notifyKey } : {}),
        // The console links chats' and runs' workflows to the Web UI (the embedded dev server's by default).
        ...consoleTemporalUi(config),
      }),
    });
  }

  await trace.step('API listen', api.listen({ host: config.HOST, port: config.PORT }));
  throwFirstFailure(await Promise.allSettled([trace.step('analytics worker', startAnalytics()), trace.step('ops worker and monitor', startOps())]));

  return {
    apiUrl: publicUrl,
    webUiUrl: config.TEMPORAL_ADDRESS ? undefined : `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`,
    temporalAddress,
    adminKey,
    embedded,
    children: childProcesses,
    stop: () => teardown.run(),
  };
}

/** Steps started side by side are all awaited before one's failure is thrown, so the teardown
 * holds whatever the others started. */
function throwFirstFailure(results: readonly PromiseSettledResult<unknown>[]): void {
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The Temporal Web UI the console links to, when there is one (`TESSERA_TEMPORAL_UI_URL`). */
function consoleTemporalUi(config: Config): { temporalUi?: { url: string; namespace: string } } {
  const url = temporalUiUrl(config);
  return url ? { temporalUi: { url, namespace: config.TEMPORAL_NAMESPACE } } : {};
}
