/**
 * The audit log in MongoDB: one hash chain per app (`chainAuditEvent`), numbered by `seq`.
 *
 * Within one process, appends to an app's chain run one at a time against a cached chain head, so
 * the common append is a single insert. Across processes the unique `(app_id, seq)` index picks
 * one winner; a loser forgets its cached head, re-reads it and tries again. Appends are idempotent
 * on `event_id` (its unique index turns a repeat into a lookup of the stored event).
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
const VERIFY_BATCH = 1000;

export class AuditRepository {
  /** Last known head of each app's chain (null: the chain is empty). */
  private readonly heads = new Map<string, ChainLink | null>();
  /** The tail of each app's queue of appends in this process. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly mongo: MongoStores) {}

  /** Appends the event to its app's chain, or returns the stored one when its `event_id` exists. */
  appendAuditEvent(input: AuditEventInput): Promise<ChainedAuditEvent> {
    const previous = this.tails.get(input.app_id) ?? Promise.resolve();
    const appended = previous.then(
      () => this.append(input),
      () => this.append(input),
    );
    const tail = appended.catch(() => undefined);
    this.tails.set(input.app_id, tail);
    void tail.then(() => {
      if (this.tails.get(input.app_id) === tail) this.tails.delete(input.app_id);
    });
    return appended;
  }

  private async append(input: AuditEventInput): Promise<ChainedAuditEvent> {
    const events = this.collection(input.app_id);
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      let head = this.heads.get(input.app_id);
      if (head === undefined) {
        head = await events.findOne<ChainLink>({}, { sort: { seq: -1 }, projection: { _id: 0, seq: 1, hash: 1 } });
      }
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

async function findEvent(events: TenantCollection<AuditEventDoc>, eventId: string): Promise<ChainedAuditEvent | null> {
  return events.findOne<ChainedAuditEvent>({ event_id: eventId }, { projection: { _id: 0 } });
}
