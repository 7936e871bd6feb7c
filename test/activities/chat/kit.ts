/**
 * The chat activities on real services for one test file: a throwaway Mongo database and Redis
 * prefix, the offline model, and a runner giving each call its Temporal activity Context
 * (attempt number, cancellation) through MockActivityEnvironment.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Info } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { createChatActivities, type ChatActivities } from '../../../src/activities/chat';
import type { ActorContext } from '../../../src/domain/audit';
import { buildPriceBook } from '../../../src/domain/pricing';
import { AppCounters } from '../../../src/stores/app-counters';
import { AuditRepository } from '../../../src/stores/audit-repository';
import { ChatEvents } from '../../../src/stores/chat-events';
import { ChatRepository } from '../../../src/stores/chat-repository';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../../src/stores/mongo';
import { openRedis } from '../../../src/stores/redis';
import { tenantCollections, type TenantCollections } from '../../../src/stores/tenant-collection';
import { services, uniqueName } from '../../support/services';

export const APP = 'acme';
/** Activity failures are what several tests expect: keep the SDK from logging each one. */
export const quietLogger = new DefaultLogger('ERROR');

export const actor: ActorContext = { actor_id: 'user-1', roles: ['user'], app_id: APP };

export interface ActivityKit {
  mongo: MongoStores;
  redis: Redis;
  activities: ChatActivities;
  collections: TenantCollections;
  chats: ChatRepository;
  events: ChatEvents;
  counters: AppCounters;
  audit: AuditRepository;
  /** Runs an activity in a fresh activity Context (attempt 1 unless `info` says otherwise). */
  run<A, R>(fn: (args: A) => Promise<R>, args: A, info?: Partial<Info>): Promise<R>;
  /** Activities on another LLM client (e.g. one sending `x-offline-fail`). */
  withLlm(options: { baseURL?: string; headers?: Record<string, string> }): ChatActivities;
  close(): Promise<void>;
}

export async function activityKit(label: string, opts: { httpAllowlist?: string[]; now?: () => Date } = {}): Promise<ActivityKit> {
  const mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName(label) }));
  await ensureMongoIndexes(await mongo.dbFor(APP));
  const prefix = `${uniqueName(label)}:`;
  const redis = openRedis(services().redisUrl, { keyPrefix: prefix });
  const build = (options: { baseURL?: string; headers?: Record<string, string> } = {}) =>
    createChatActivities({
      mongo,
      redis,
      llm: new OpenAI({
        apiKey: 'offline',
        baseURL: options.baseURL ?? services().llmBaseUrl,
        maxRetries: 0,
        ...(options.headers ? { defaultHeaders: options.headers } : {}),
      }),
      priceBook: buildPriceBook(),
      httpAllowlist: opts.httpAllowlist ?? [],
      ...(opts.now ? { now: opts.now } : {}),
    });
  const collections = tenantCollections(mongo, APP);
  return {
    mongo,
    redis,
    activities: build(),
    collections,
    chats: new ChatRepository(collections),
    events: new ChatEvents(redis),
    counters: new AppCounters(redis),
    audit: new AuditRepository(mongo),
    run: (fn, args, info) => new MockActivityEnvironment(info, { logger: quietLogger }).run(fn, args),
    withLlm: build,
    async close() {
      await (await mongo.dbFor(APP)).dropDatabase();
      await mongo.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
      await redis.quit();
    },
  };
}
