/**
 * Tessera's half of the run, wired as `npm start` wires it: the real chat activities on MongoDB
 * (FerretDB), Redis and the offline model, and a `ChatClient` sending to the bench's task queue.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import OpenAI from 'openai';
import { createChatActivities, type ChatActivities } from '../../src/activities/chat';
import { ChatClient } from '../../src/client/chat-client';
import { buildPriceBook } from '../../src/domain/pricing';
import type { ChatTemplate } from '../../src/domain/templates';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { loadTemplate } from '../../src/stores/templates';
import type { BenchStack } from './bench-stack';
import type { Teardown } from '../../src/dev/teardown';

export const BENCH_DB = 'tessera_bench';
export const BENCH_REDIS_PREFIX = 'bench:';

export interface TesseraSide {
  activities: ChatActivities;
  mongo: MongoStores;
  chats: ChatClient;
  template: ChatTemplate;
}

export async function openTesseraSide(opts: {
  stack: BenchStack;
  client: Client;
  taskQueue: string;
  templatesDir: string;
  teardown: Teardown;
}): Promise<TesseraSide> {
  const mongo = new MongoStores(defaultStorageResolver({ uri: opts.stack.mongoUri, db: BENCH_DB }));
  opts.teardown.add('MongoDB client', () => mongo.close());
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  const redis = openRedis(opts.stack.redisUrl, { keyPrefix: BENCH_REDIS_PREFIX });
  opts.teardown.add('Redis client', () => redis.quit());
  const activities = createChatActivities({
    mongo,
    redis,
    llm: new OpenAI({ apiKey: 'offline', baseURL: opts.stack.llmBaseUrl, maxRetries: 0 }),
    priceBook: buildPriceBook(),
    httpAllowlist: [],
  });
  return {
    activities,
    mongo,
    chats: new ChatClient(opts.client, { taskQueue: opts.taskQueue }),
    template: loadTemplate(path.resolve(opts.templatesDir), 'assistant'),
  };
}
