/**
 * What every chat activity needs, built once per worker from the clients it is given: per-app
 * repositories, the audit log, the chat event stream, the app counters, the LLM client.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import type { ActorContext, AuditAction, AuditEventInput } from '../../domain/audit';
import type { ChatRef } from '../../domain/chat';
import type { PriceBook } from '../../domain/pricing';
import { Admission } from '../../stores/admission';
import { AppCounters } from '../../stores/app-counters';
import { AuditRepository } from '../../stores/audit-repository';
import { ChatEvents } from '../../stores/chat-events';
import { ChatRepository, MessageIdConflictError, SeqConflictError } from '../../stores/chat-repository';
import type { ChatMessageDoc } from '../../stores/documents';
import type { MongoStores } from '../../stores/mongo';
import { tenantCollections, type TenantInput } from '../../stores/tenant-collection';
import { UsageRepository } from '../../stores/usage-repository';

export interface ChatActivityDeps {
  mongo: MongoStores;
  redis: Redis;
  llm: OpenAI;
  priceBook: PriceBook;
  /** Hosts the `http_get` tool may fetch (see `isUrlAllowed`). */
  httpAllowlist: string[];
  /** Starts the webhook delivery of a turn that asked for one (`?wait=false`); see turn-webhook.ts. */
  temporal?: Client;
  now?: () => Date;
}

export interface AuditEntry {
  eventId: string;
  actor: ActorContext;
  action: AuditAction;
  resource: { type: string; id: string };
  at: Date;
  details?: AuditEventInput['details'];
}

export class ChatActivityContext {
  readonly events: ChatEvents;
  readonly counters: AppCounters;
  /** The API's admission slots: a turn gives its slot back when it ends. */
  readonly admission: Admission;
  readonly auditLog: AuditRepository;
  readonly now: () => Date;

  constructor(readonly deps: ChatActivityDeps) {
    this.events = new ChatEvents(deps.redis);
    this.counters = new AppCounters(deps.redis);
    this.admission = new Admission(deps.redis);
    this.auditLog = new AuditRepository(deps.mongo);
    this.now = deps.now ?? (() => new Date());
  }

  /** Repositories scoped to one app: nothing an activity reads or writes can cross tenants. */
  repos(appId: string): { chats: ChatRepository; usage: UsageRepository } {
    const collections = tenantCollections(this.deps.mongo, appId);
    return { chats: new ChatRepository(collections), usage: new UsageRepository(collections) };
  }

  /** Stores a message idempotently. An id or seq taken by another message is not something a
   * retry can fix, so it fails the activity for good. */
  async storeMessage(
    appId: string,
    message: TenantInput<ChatMessageDoc>,
    options?: Parameters<ChatRepository['insertMessage']>[1],
  ): Promise<ChatMessageDoc> {
    try {
      return (await this.repos(appId).chats.insertMessage(message, options)).message;
    } catch (error) {
      if (error instanceof MessageIdConflictError || error instanceof SeqConflictError) {
        throw ApplicationFailure.create({ type: 'message_conflict', nonRetryable: true, message: error.message, cause: error });
      }
      throw error;
    }
  }

  /** Appends an audit event for the chat's app (idempotent on `eventId`). */
  async audit(ref: ChatRef, entry: AuditEntry): Promise<void> {
    await this.auditLog.appendAuditEvent({
      event_id: entry.eventId,
      app_id: ref.appId,
      ts: entry.at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      resource: entry.resource,
      outcome: 'success',
      ...(entry.details ? { details: entry.details } : {}),
    });
  }
}

/** Dedup keys (stream events, per chat) and dedup ids (counters, per app) of a turn's bookkeeping. */
export const turnKeys = {
  startedEvent: (turnId: string) => `turn.started:${turnId}`,
  /** One terminal event per turn, whether finishTurn or discardTurn gets there first. */
  endedEvent: (turnId: string) => `turn.ended:${turnId}`,
  startedCount: (ref: ChatRef, turnId: string) => `turn.started:${ref.chatId}:${turnId}`,
  endedCount: (ref: ChatRef, turnId: string) => `turn.ended:${ref.chatId}:${turnId}`,
};
