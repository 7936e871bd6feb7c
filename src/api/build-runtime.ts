/**
 * Builds the API's runtime from live clients: the registry, admission, chat client, audit log and
 * token services. Entry points (the launcher, the API-only process, tests, benchmarks) call it with
 * clients they own and close.
 */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { ChatClient } from '../client/chat-client';
import type { ChatTemplate } from '../domain/templates';
import { Admission } from '../stores/admission';
import { AppRegistry } from '../stores/app-registry';
import { AuditRepository } from '../stores/audit-repository';
import type { MongoStores } from '../stores/mongo';
import { loadTemplates, TemplateError } from '../stores/templates';
import { ActorTokenVerifier } from './auth/actor-token';
import { RuntimeTokens } from './auth/runtime-token';
import type { ApiRuntime, ApiSecrets } from './runtime';
import type { AnalyticsRuntime } from './analytics-runtime';

export interface ApiRuntimeOptions {
  temporal: Client;
  mongo: MongoStores;
  redis: Redis;
  secrets: ApiSecrets & { jwtSecret: string };
  templatesDir: string;
  publicUrl: string;
  /** Task queue of chat sessions (tests use their own). */
  chatTaskQueue?: string;
  now?: () => Date;
  analytics?: AnalyticsRuntime;
}

export function createApiRuntime(options: ApiRuntimeOptions): ApiRuntime {
  const now = options.now ?? (() => new Date());
  // Templates are read once at start: a template edited on disk takes effect on restart.
  const templates = loadTemplates(options.templatesDir);
  return {
    temporal: options.temporal,
    mongo: options.mongo,
    redis: options.redis,
    apps: new AppRegistry(options.mongo, options.redis),
    admission: new Admission(options.redis),
    chats: new ChatClient(options.temporal, options.chatTaskQueue ? { taskQueue: options.chatTaskQueue } : {}),
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
    publicUrl: options.publicUrl,
    now,
    ...(options.analytics ? { analytics: options.analytics } : {}),
  };
}
