/** What the ops activities are built from: real clients, handed in by the worker's owner. */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import type { NotifyKeys } from '../../domain/ops/notify-crypto';
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
  /** The `log` channel's Notifier (a structured log line; tests record the notices). */
  notifier: Notifier;
  /** Channel secrets and approve/reject links (`TESSERA_NOTIFY_KEY`), the URL the links point at,
   * and each delivery attempt's timeout. Without keys, no links are sent and no secret is read. */
  notify?: { keys?: NotifyKeys; publicUrl?: string; timeoutMs?: number };
  packSwitch?: PackSwitch;
  now?: () => Date;
}
