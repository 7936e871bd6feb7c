/**
 * Everything a chat workflow test needs, on real services: the chat activities built from real
 * clients on a throwaway Mongo database and Redis prefix, a worker on the given Temporal test
 * environment, and a `ChatClient` to talk to sessions.
 */
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { createChatActivities } from '../../src/activities/chat';
import { createPackActivities } from '../../src/activities/packs';
import { ChatClient } from '../../src/client/chat-client';
import { buildPriceBook } from '../../src/domain/pricing';
import type { ChatTemplate } from '../../src/domain/templates';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { loadTemplate } from '../../src/stores/templates';
import { services, uniqueName } from './services';
import { workflowBundle } from './workflow-bundle';

export const TEMPLATES_DIR = path.resolve(__dirname, '../../templates');

export interface ChatKit {
  mongo: MongoStores;
  mongoDb: string;
  redis: Redis;
  redisPrefix: string;
  taskQueue: string;
  chats: ChatClient;
  template(name: string, overrides?: Partial<ChatTemplate>): ChatTemplate;
  /** Runs `fn` with a worker polling the kit's task queue (with `interceptors`, when given). */
  withWorker<T>(fn: () => Promise<T>, interceptors?: WorkerOptions['interceptors']): Promise<T>;
  close(): Promise<void>;
}

export async function createChatKit(
  env: TestWorkflowEnvironment,
  opts: {
    llmBaseUrl?: string;
    llmHeaders?: Record<string, string>;
    turnsPerRun?: number;
    label?: string;
    taskQueue?: string;
    /** Hosts the `http_get` tool may fetch (none unless given). */
    httpAllowlist?: string[];
  } = {},
): Promise<ChatKit> {
  const label = opts.label ?? 'chat';
  const mongoDb = uniqueName(label);
  const mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: mongoDb }));
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  const redisPrefix = `${uniqueName(label)}:`;
  const redis = openRedis(services().redisUrl, { keyPrefix: redisPrefix });
  const llm = new OpenAI({
    apiKey: 'offline',
    baseURL: opts.llmBaseUrl ?? services().llmBaseUrl,
    maxRetries: 0,
    ...(opts.llmHeaders ? { defaultHeaders: opts.llmHeaders } : {}),
  });
  const activities = {
    ...createChatActivities({ mongo, redis, llm, priceBook: buildPriceBook(), httpAllowlist: opts.httpAllowlist ?? [], temporal: env.client }),
    ...createPackActivities({ mongo, redis }),
  };
  const taskQueue = opts.taskQueue ?? uniqueName(`${label}-queue`);
  const chats = new ChatClient(env.client, { taskQueue, ...(opts.turnsPerRun ? { turnsPerRun: opts.turnsPerRun } : {}) });

  return {
    mongo,
    mongoDb,
    redis,
    redisPrefix,
    taskQueue,
    chats,
    template: (name, overrides = {}) => ({ ...loadTemplate(TEMPLATES_DIR, name), ...overrides }),
    async withWorker(fn, interceptors) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: workflowBundle(),
        activities,
        ...(interceptors ? { interceptors } : {}),
      });
      return worker.runUntil(fn);
    },
    async close() {
      await (await mongo.dbFor('_system')).dropDatabase().catch(() => undefined);
      await mongo.close();
      await redis.quit();
    },
  };
}
