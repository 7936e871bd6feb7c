/**
 * A chat worker in its own process, so a test can kill it with SIGKILL mid-turn (or mid-pack: it
 * runs the pack activities too, as the chat queue's workers do). Settings arrive as one JSON
 * argument; it prints "ready" once polling.
 */
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { createChatActivities } from '../../src/activities/chat';
import { createPackActivities } from '../../src/activities/packs';
import { buildPriceBook } from '../../src/domain/pricing';
import { defaultStorageResolver, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';

export interface ChatWorkerProcessSettings {
  temporalAddress: string;
  taskQueue: string;
  mongoUri: string;
  mongoDb: string;
  redisUrl: string;
  redisPrefix: string;
  llmBaseUrl: string;
  workflowBundlePath: string;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ChatWorkerProcessSettings;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const mongo = new MongoStores(defaultStorageResolver({ uri: settings.mongoUri, db: settings.mongoDb }));
  const redis = openRedis(settings.redisUrl, { keyPrefix: settings.redisPrefix });
  const connection = await NativeConnection.connect({ address: settings.temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue: settings.taskQueue,
    workflowBundle: { code: fs.readFileSync(settings.workflowBundlePath, 'utf8') },
    activities: {
      ...createChatActivities({
        mongo,
        redis,
        llm: new OpenAI({ apiKey: 'offline', baseURL: settings.llmBaseUrl, maxRetries: 0 }),
        priceBook: buildPriceBook(),
        httpAllowlist: [],
        temporal: new Client({ connection }),
      }),
      ...createPackActivities({ mongo, redis }),
    },
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
