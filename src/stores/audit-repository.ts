/**
 * The audit log in MongoDB: one hash chain per app (`chainAuditEvent`), numbered by `seq`.
 *
 * Within one process, an app's appends are chained onto a cached chain head, and the ones that
 * arrive while a write is on its way are chained together and written by the next `insertMany` (a
 * busy tenant's entries take one write per batch, not one each). Across processes the unique
 * `(app_id, seq)` index picks one winner; a loser forgets its cached head and appends that batch's
 * entries one by one, re-reading the head. Appends are idempotent on `event_id` (its unique index
 * turns a repeat into a lookup of the stored event).
 *
 * `ts` is stored as the ISO string that was hashed (a Date would not round-trip byte for byte);
 * ISO strings in UTC sort like the instants they name, so time-window queries still work.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Document, Filter } from 'mongodb';
import {
  chainAuditEvent,
  verifyAuditChain,
  type AuditAction,
  type AuditChainVerification,
  type AuditEventInput,
  type ChainedAuditEvent,
  type ChainLink,
} from '../domain/audit';
import type { AuditPosition } from '../domain/api/audit';
import type { AuditEventDoc } from './documents';
import type { MongoStores } from './mongo';
import { isDuplicateKeyError } from './mongo-errors';
import { tenantCollections, type TenantCollection } from './tenant-collection';

const MAX_APPEND_ATTEMPTS = 100;
/** Most entries one write carries. */
const MAX_BATCH = 100;
/** Entries one verification batch holds. */
const VERIFY_BATCH = 1000;
const STOP_SCAN = Symbol('stop scan');

/** Filters of an audit query; each one narrows (all must hold). `from` inclusive, `to` exclusive. */
export interface AuditQuery {
  from?: string;
  to?: string;
  /** `actor.actor_id` */
  actor?: string;
  action?: AuditAction;
  resourceType?: string;
  resourceId?: string;
  outcome?: 'success' | 'failure';
}

export type { AuditPosition };

export interface AuditPage {
  entries: ChainedAuditEvent[];
  next: AuditPosition | null;
}

export interface AuditRepositoryOptions {
  /** Entries per batch of a chain verification (default 1000). */
  verifyBatch?: number;
}

export class AuditRepository {
  /** Last known head of each app's chain (null: the chain is empty). */
  private readonly heads = new Map<string, ChainLink | null>();
  /** Per app: the appends waiting for the write on its way. */
  private readonly pending = new Map<string, PendingAppend[]>();

  private readonly verifyBatch: number;

  constructor(
    private readonly mongo: MongoStores,
    options: AuditRepositoryOptions = {},
  ) {
    this.verifyBatch = options.verifyBatch ?? VERIFY_BATCH;
  }

  /** Appends the event to its app's chain, or returns the stored one when its `event_id` exists. */
  appendAuditEvent(input: AuditEventInput): Promise<ChainedAuditEvent> {
    return new Promise((resolve, reject) => {
      const queue = this.pending.get(input.app_id);
      if (queue) {
        queue.push({ input, resolve, reject });
        return;
      }
      this.pending.set(input.app_id, [{ input, resolve, reject }]);
      void this.drain(input.app_id);
    });
  }

  /** Writes an app's waiting appends, a batch per write, until none is left. Starts a microtask
   * late, so the appends made together (one activity's entries) share the first write too. */
  private async drain(appId: string): Promise<void> {
    await Promise.resolve();
    for (;;) {
      const queue = this.pending.get(appId) ?? [];
      const batch = queue.splice(0, MAX_BATCH);
      if (batch.length === 0) {
        this.pending.delete(appId);
        return;
      }
      try {
        const stored = await this.appendBatch(appId, batch.map((append) => append.input));
        batch.forEach((append, i) => append.resolve(stored[i] as ChainedAuditEvent));
      } catch (error) {
        for (const append of batch) append.reject(error);
      }
    }
  }

  /** Chains the batch onto the cached head and writes it at once; on any conflict (a repeat, or a
   * seq another process took) appends its entries one by one instead. */
  private async appendBatch(appId: string, inputs: readonly AuditEventInput[]): Promise<ChainedAuditEvent[]> {
    const events = this.collection(appId);
    let head = this.heads.get(appId);
    if (head === undefined) head = await this.readHead(events);
    const chained: ChainedAuditEvent[] = [];
    for (const input of inputs) {
      const link = chainAuditEvent(chained.at(-1) ?? head, input);
      chained.push(link);
    }
    try {
      await events.insertMany(chained);
      const last = chained.at(-1) as ChainedAuditEvent;
      this.heads.set(appId, { seq: last.seq, hash: last.hash });
      return chained;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    // Part of the batch may be stored (ordered: up to the conflict); appending each again finds it.
    this.heads.delete(appId);
    const stored: ChainedAuditEvent[] = [];
    for (const input of inputs) stored.push(await this.append(input));
    return stored;
  }

  private async append(input: AuditEventInput): Promise<ChainedAuditEvent> {
    const events = this.collection(input.app_id);
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      let head = this.heads.get(input.app_id);
      if (head === undefined) head = await this.readHead(events);
      const chained = chainAuditEvent(head, input);
      try {
        await events.insertOne(chained);
        this.heads.set(input.app_id, { seq: chained.seq, hash: chained.hash });
        return chained;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      // This very event was stored before (a retried activity), or another process took the seq.
      this.heads.delete(input.app_id);
      const existing = await findEvent(events, input.event_id);
      if (existing) return existing;
      await sleep(Math.random() * Math.min(50, 2 * attempt));
    }
    throw new Error(`audit event ${input.event_id}: no free seq in app ${input.app_id} after ${MAX_APPEND_ATTEMPTS} attempts`);
  }

  private readHead(events: TenantCollection<AuditEventDoc>): Promise<ChainLink | null> {
    return events.findOne<ChainLink>({}, { sort: { seq: -1 }, projection: { _id: 0, seq: 1, hash: 1 } });
  }

  /**
   * Verifies the app's whole chain, streaming it in seq order through one cursor in batches of
   * `verifyBatch` (never the whole chain in memory), and stops at the first broken link. Entries
   * appended while it runs are checked too when the cursor reaches them.
   */
  async verifyAppAuditChain(appId: string): Promise<AuditChainVerification> {
    let after: ChainLink | undefined;
    let count = 0;
    let broken: AuditChainVerification | undefined;
    try {
      await this.collection(appId).forEachBatch<ChainedAuditEvent>(
        {},
        { sort: { seq: 1 }, projection: { _id: 0 }, batchSize: this.verifyBatch },
        async (batch) => {
          const result = verifyAuditChain(batch, { appId, ...(after ? { after } : {}) });
          count += result.count;
          if (!result.valid) {
            broken = { ...result, count };
            throw STOP_SCAN;
          }
          const last = batch[batch.length - 1] as ChainedAuditEvent;
          after = { seq: last.seq, hash: last.hash };
        },
      );
    } catch (error) {
      if (error !== STOP_SCAN) throw error;
    }
    return broken ?? { valid: true, count };
  }

  /**
   * One page of an app's log, newest first: ordered by `(ts, seq)` descending, a total order on
   * fields no append changes, so a page that starts strictly after `after` (the previous page's
   * last entry) neither repeats nor skips an entry that existed when the first page was read,
   * whatever is appended meanwhile. `next` is the position to pass as `after` for the next page,
   * null on the last one.
   */
  async queryAppEvents(appId: string, query: AuditQuery = {}, page: { limit?: number; after?: AuditPosition } = {}): Promise<AuditPage> {
    const limit = page.limit ?? 50;
    const filter: Document = {};
    if (query.from !== undefined || query.to !== undefined) {
      filter.ts = {
        ...(query.from !== undefined ? { $gte: isoInstant(query.from) } : {}),
        ...(query.to !== undefined ? { $lt: isoInstant(query.to) } : {}),
      };
    }
    if (query.actor !== undefined) filter['actor.actor_id'] = query.actor;
    if (query.action !== undefined) filter.action = query.action;
    if (query.resourceType !== undefined) filter['resource.type'] = query.resourceType;
    if (query.resourceId !== undefined) filter['resource.id'] = query.resourceId;
    if (query.outcome !== undefined) filter.outcome = query.outcome;
    if (page.after) filter.$or = [{ ts: { $lt: page.after.ts } }, { ts: page.after.ts, seq: { $lt: page.after.seq } }];
    const found = await this.collection(appId).find<ChainedAuditEvent>(filter as Filter<AuditEventDoc>, {
      sort: { ts: -1, seq: -1 },
      limit: limit + 1,
      projection: { _id: 0 },
    });
    const entries = found.slice(0, limit);
    const last = entries.at(-1);
    return { entries, next: found.length > limit && last ? { ts: last.ts, seq: last.seq } : null };
  }

  /** An app's events in seq order (newest last), for reading the log. */
  async listAppEvents(appId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<ChainedAuditEvent[]> {
    return this.collection(appId).find<ChainedAuditEvent>(
      options.afterSeq !== undefined ? { seq: { $gt: options.afterSeq } } : {},
      { sort: { seq: 1 }, limit: options.limit ?? 100, projection: { _id: 0 } },
    );
  }

  private collection(appId: string): TenantCollection<AuditEventDoc> {
    return tenantCollections(this.mongo, appId).auditEvents;
  }
}

interface PendingAppend {
  input: AuditEventInput;
  resolve(event: ChainedAuditEvent): void;
  reject(error: unknown): void;
}

/** An instant as the log stores it (`toISOString`), so string comparison orders it by time. */
function isoInstant(value: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: '${value}'`);
  return new Date(ms).toISOString();
}

async function findEvent(events: TenantCollection<AuditEventDoc>, eventId: string): Promise<ChainedAuditEvent | null> {
  return events.findOne<ChainedAuditEvent>({ event_id: eventId }, { projection: { _id: 0 } });
}
