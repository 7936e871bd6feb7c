/**
 * The ops autopilot's activities on real stores (a throwaway Mongo database and Redis prefix) and a
 * worker on a Temporal test environment's own task queue; notifications are collected in memory
 * (the Notifier interface's recording implementation, as a log sink would write them).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { createOpsActivities, type OpsActivityDeps, type OpsNotice } from '../../src/activities/ops';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { services, uniqueName } from './services';
import { workflowBundle } from './workflow-bundle';

export interface OpsKit {
  mongo: MongoStores;
  redis: Redis;
  taskQueue: string;
  notices: OpsNotice[];
  activities: ReturnType<typeof createOpsActivities>;
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createOpsKit(
  env: TestWorkflowEnvironment,
  label: string,
  opts: { llmBaseUrl?: string; notify?: OpsActivityDeps['notify']; now?: () => Date } = {},
): Promise<OpsKit> {
  const mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName(label) }));
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  const redisPrefix = `${uniqueName(label)}:`;
  const redis = openRedis(services().redisUrl, { keyPrefix: redisPrefix });
  const taskQueue = uniqueName(`${label}-queue`);
  const notices: OpsNotice[] = [];
  const activities = createOpsActivities({
    mongo,
    redis,
    temporal: env.client,
    taskQueue,
    notifier: { notify: async (notice) => void notices.push(notice) },
    ...(opts.notify ? { notify: opts.notify } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.llmBaseUrl
      ? { llm: { client: new OpenAI({ apiKey: 'offline', baseURL: opts.llmBaseUrl, maxRetries: 0 }), model: 'gpt-4.1-mini', timeoutMs: 3000 } }
      : {}),
  });
  return {
    mongo,
    redis,
    taskQueue,
    notices,
    activities,
    async withWorker(fn) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: workflowBundle(),
        activities,
      });
      return worker.runUntil(fn());
    },
    async close() {
      await (await mongo.dbFor('_system')).dropDatabase().catch(() => undefined);
      await mongo.close();
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(redisPrefix.length)));
      await redis.quit();
    },
  };
}
