/**
 * The workers of `bench:stream`, in a process of their own (as in a deployment, the turn runs
 * outside the API process): Tessera's chat worker on `tessera-chat`, and the Workflow Streams
 * baseline's worker. Both call the model with the send-time stamp header. Settings arrive as one
 * JSON argument; it prints "ready" once both poll, and stops on SIGTERM.
 */
import fs from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { createChatActivities } from '../../src/activities/chat';
import { STAMP_HEADER, STAMP_VALUE } from '../../src/dev/offline-model';
import { buildPriceBook } from '../../src/domain/pricing';
import { defaultStorageResolver, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { TASK_QUEUES } from '../../src/workflows/contract';
import { createStreamActivities, loadWfsClient } from '../workflow-streams/activities';
import { WFS_TASK_QUEUE } from '../workflow-streams/contract';

export interface StreamWorkerSettings {
  temporalAddress: string;
  mongoUri: string;
  mongoDb: string;
  redisUrl: string;
  redisPrefix: string;
  llmBaseUrl: string;
  /** Tessera's workflows, bundled by the benchmark (the launcher's cache). */
  tesseraBundleFile: string;
  wfsWorkflowsPath: string;
  wfsWorkflowEntry: string;
  wfsClientEntry: string;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as StreamWorkerSettings;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const llm = new OpenAI({ apiKey: 'offline', baseURL: settings.llmBaseUrl, maxRetries: 0, defaultHeaders: { [STAMP_HEADER]: STAMP_VALUE } });
  const mongo = new MongoStores(defaultStorageResolver({ uri: settings.mongoUri, db: settings.mongoDb }));
  const redis = openRedis(settings.redisUrl, { keyPrefix: settings.redisPrefix });
  const connection = await NativeConnection.connect({ address: settings.temporalAddress });
  const workers = await Promise.all([
    Worker.create({
      connection,
      taskQueue: TASK_QUEUES.chat,
      workflowBundle: { code: fs.readFileSync(settings.tesseraBundleFile, 'utf8') },
      activities: createChatActivities({ mongo, redis, llm, priceBook: buildPriceBook(), httpAllowlist: [] }),
    }),
    Worker.create({
      connection,
      taskQueue: WFS_TASK_QUEUE,
      workflowsPath: settings.wfsWorkflowsPath,
      bundlerOptions: {
        // The unpacked package is not under node_modules: point its import there. Its own imports of
        // @temporalio/* resolve upward to the project's copies, so the bundle holds one SDK.
        webpackConfigHook: (config) => ({
          ...config,
          resolve: {
            ...config.resolve,
            alias: { ...(config.resolve?.alias as Record<string, string | false>), '@temporalio/workflow-streams/workflow$': settings.wfsWorkflowEntry },
          },
        }),
      },
      activities: createStreamActivities({ llm, wfs: loadWfsClient(settings.wfsClientEntry), model: 'tessera-offline' }),
    }),
  ]);
  const running = Promise.all(workers.map((worker) => worker.run()));
  const stop = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write('ready\n');
  await running;
  await connection.close();
  await Promise.allSettled([mongo.close(), redis.quit()]);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
