/** What the ops activities are built from: real clients, handed in by the worker's owner. */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import type { MongoStores } from '../../stores/mongo';
import type { Notifier, PackSwitch } from './effects';

export interface OpsActivityDeps {
  mongo: MongoStores;
  redis: Redis;
  /** Starts and signals remediation workflows. */
  temporal: Client;
  /** Task queue of the remediation workflows (tests use their own). */
  taskQueue: string;
  /** Writes incident explanations; without it (or when it fails) a plain summary is written. */
  llm?: { client: OpenAI; model: string; timeoutMs?: number };
  notifier: Notifier;
  packSwitch?: PackSwitch;
  now?: () => Date;
}
