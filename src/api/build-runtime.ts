/**
 * Builds the API's runtime from live clients: the registry, admission, chat client, audit log and
 * token services. Entry points (the launcher, the API-only process, tests, benchmarks) call it with
 * clients they own and close.
 */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import path from 'node:path';
import { ChatClient } from '../client/chat-client';
import { PackClient } from '../client/pack-client';
import type { ChatTemplate } from '../domain/templates';
import { Admission } from '../stores/admission';
import { AppRegistry } from '../stores/app-registry';
import { AuditRepository } from '../stores/audit-repository';
import type { MongoStores } from '../stores/mongo';
import { loadPacks } from '../stores/packs';
import { loadTemplates, TemplateError } from '../stores/templates';
import { ActorTokenVerifier } from './auth/actor-token';
import { RuntimeTokens } from './auth/runtime-token';
import type { ApiRuntime, ApiSecrets } from './runtime';
import type { AnalyticsRuntime } from './analytics-runtime';
import { NotifyKeys } from '../domain/ops/notify-crypto';

export interface ApiRuntimeOptions {
  temporal: Client;
  mongo: MongoStores;
  redis: Redis;
  secrets: ApiSecrets & { jwtSecret: string };
  templatesDir: string;
  /** Where packs live; default: `packs` beside the templates directory. */
  packsDir?: string;
  publicUrl: string;
  /** Task queue of chat sessions (tests use their own). */
  chatTaskQueue?: string;
  /** An app's own chat task queue (dedicated data planes); undefined: the shared one. */
  chatTaskQueueFor?: (appId: string) => string | undefined;
  now?: () => Date;
  analytics?: AnalyticsRuntime;
  /** `TESSERA_NOTIFY_KEY`: channel secrets and approve/reject links. */
  notifyKey?: string;
  /** The Temporal Web UI the console links workflows to (`temporalUiUrl(config)`). */
  temporalUi?: { url: string; namespace: string };
}

export function createApiRuntime(options: ApiRuntimeOptions): ApiRuntime {
  const now = options.now ?? (() => new Date());
  // Templates are read once at start: a template edited on disk takes effect on restart.
  const templates = loadTemplates(options.templatesDir);
  const packs = loadPacks(options.packsDir ?? path.join(path.dirname(options.templatesDir), 'packs'), new Set(templates.keys()));
  return {
    temporal: options.temporal,
    mongo: options.mongo,
    redis: options.redis,
    apps: new AppRegistry(options.mongo, options.redis),
    admission: new Admission(options.redis),
    chats: new ChatClient(options.temporal, queueOptions(options)),
    audit: new AuditRepository(options.mongo),
    runtimeTokens: new RuntimeTokens(options.secrets.jwtSecret, now),
    actorTokens: new ActorTokenVerifier(),
    secrets: { adminKey: options.secrets.adminKey, keyPepper: options.secrets.keyPepper },
    template(name: string): ChatTemplate {
      const template = templates.get(name);
      if (!template) {
        throw new TemplateError(`unknown template '${name}'; known templates: ${[...templates.keys()].join(', ') || '(none)'}`);
      }
      return template;
    },
    packs,
    packRuns: new PackClient(options.temporal, queueOptions(options)),
    publicUrl: options.publicUrl,
    now,
    ...(options.analytics ? { analytics: options.analytics } : {}),
    ...(options.notifyKey ? { notify: { keys: new NotifyKeys(options.notifyKey) } } : {}),
    ...(options.temporalUi ? { temporalUi: options.temporalUi } : {}),
  };
}

function queueOptions(options: ApiRuntimeOptions): { taskQueue?: string; taskQueueFor?: (appId: string) => string | undefined } {
  return {
    ...(options.chatTaskQueue ? { taskQueue: options.chatTaskQueue } : {}),
    ...(options.chatTaskQueueFor ? { taskQueueFor: options.chatTaskQueueFor } : {}),
  };
}
