/**
 * What the API's routes work with: live clients and the services built on them. Built once by an
 * entry point (`npm start`'s stack, `src/api/main.ts`, tests) from real clients and handed in.
 */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { ChatClient } from '../client/chat-client';
import type { PackClient } from '../client/pack-client';
import type { PackDefinition } from '../domain/packs';
import type { ChatTemplate } from '../domain/templates';
import type { Admission } from '../stores/admission';
import type { AppRegistry } from '../stores/app-registry';
import type { AuditRepository } from '../stores/audit-repository';
import type { MongoStores } from '../stores/mongo';
import type { ActorTokenVerifier } from './auth/actor-token';
import type { RuntimeTokens } from './auth/runtime-token';
import type { AnalyticsRuntime } from './analytics-runtime';
import type { NotifyKeys } from '../domain/ops/notify-crypto';

export interface ApiSecrets {
  adminKey: string;
  /** Pepper of app-key digests. */
  keyPepper: string;
}

export interface ApiRuntime {
  temporal: Client;
  mongo: MongoStores;
  redis: Redis;
  apps: AppRegistry;
  admission: Admission;
  chats: ChatClient;
  audit: AuditRepository;
  runtimeTokens: RuntimeTokens;
  actorTokens: ActorTokenVerifier;
  secrets: ApiSecrets;
  /** Loads a template by name; throws `TemplateError` for an unknown one. */
  template(name: string): ChatTemplate;
  /** Packs read at start (`packs/<name>/pack.json`), by name. */
  packs: ReadonlyMap<string, PackDefinition>;
  packRuns: PackClient;
  /** Base URL clients reach this API at (stream URLs are built from it). */
  publicUrl: string;
  /** The Temporal Web UI the console links workflows to (`TESSERA_TEMPORAL_UI_URL`); absent: no link. */
  temporalUi?: { url: string; namespace: string };
  now(): Date;
  /** ClickHouse for analytics and erasure; absent in a process without one (those routes answer 503). */
  analytics?: AnalyticsRuntime;
  /** Notification channel secrets and approve/reject links (`TESSERA_NOTIFY_KEY`); absent: channels
   * with a secret cannot be set (503) and no link is valid. */
  notify?: { keys: NotifyKeys };
}
