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
import {
  chainAuditEvent,
  verifyAuditChain,
  type AuditChainVerification,
  type AuditEventInput,
  type ChainedAuditEvent,
  type ChainLink,
} from '../domain/audit';
import type { AuditEventDoc } from './documents';
import type { MongoStores } from './mongo';
import { isDuplicateKeyError } from './mongo-errors';
import { tenantCollections, type TenantCollection } from './tenant-collection';

const MAX_APPEND_ATTEMPTS = 100;
/** Most entries one write carries. */
const MAX_BATCH = 100;
const VERIFY_BATCH = 1000;

export class AuditRepository {
  /** Last known head of each app's chain (null: the chain is empty). */
  private readonly heads = new Map<string, ChainLink | null>();
  /** Per app: the appends waiting for the write on its way. */
  private readonly pending = new Map<string, PendingAppend[]>();

  constructor(private readonly mongo: MongoStores) {}

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

  /** Loads the app's chain in seq order, in batches, and verifies every link. */
  async verifyAppAuditChain(appId: string): Promise<AuditChainVerification> {
    const events = this.collection(appId);
    let after: ChainLink | undefined;
    let count = 0;
    for (;;) {
      const batch = await events.find<ChainedAuditEvent>(after ? { seq: { $gt: after.seq } } : {}, {
        sort: { seq: 1 },
        limit: VERIFY_BATCH,
        projection: { _id: 0 },
      });
      if (batch.length === 0) return { valid: true, count };
      const result = verifyAuditChain(batch, { appId, ...(after ? { after } : {}) });
      if (!result.valid) return { ...result, count: count + result.count };
      count += result.count;
      const last = batch[batch.length - 1];
      if (!last || batch.length < VERIFY_BATCH) return { valid: true, count };
      after = { seq: last.seq, hash: last.hash };
    }
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

async function findEvent(events: TenantCollection<AuditEventDoc>, eventId: string): Promise<ChainedAuditEvent | null> {
  return events.findOne<ChainedAuditEvent>({ event_id: eventId }, { projection: { _id: 0 } });
}
