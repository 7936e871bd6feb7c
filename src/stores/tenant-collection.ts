/**
 * A MongoDB collection seen through one tenant: every read, write and count carries the `app_id`
 * the wrapper was built for, and a filter, update or document naming another app is refused. The
 * raw collection lives in a private field and is never handed out, so repositories built on this
 * cannot forget (or forge) the tenant.
 */
import { BSON } from 'mongodb';
import type {
  Collection,
  Document,
  Filter,
  FindOptions,
  OptionalUnlessRequiredId,
  Sort,
  UpdateFilter,
  WithId,
} from 'mongodb';
import type { MongoStores } from './mongo';
import type { AuditEventDoc, ChatMessageDoc, ChatSessionDoc, ChatWindowDoc, UsageEventDoc } from './documents';

export interface TenantDoc {
  app_id: string;
}

/** A document as callers write it: `app_id` may be left out (it is filled in) but never differ. */
export type TenantInput<T extends TenantDoc> = Omit<T, 'app_id'> & { app_id?: string };

export interface TenantFindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
  projection?: Document;
}

export class TenantScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TenantScopeError';
  }
}

export class TenantCollection<T extends TenantDoc> {
  readonly #collection: () => Promise<Collection<T>>;

  constructor(
    readonly appId: string,
    readonly name: string,
    collection: () => Promise<Collection<T>>,
  ) {
    if (!appId) throw new TenantScopeError(`collection ${name} needs an app_id`);
    this.#collection = collection;
  }

  /** Returns plain arrays (no cursor: a cursor would lead back to the raw collection). */
  async find<R extends Document = WithId<T>>(filter: Filter<T> = {}, options: TenantFindOptions = {}): Promise<R[]> {
    const collection = await this.#collection();
    const findOptions: FindOptions = {};
    if (options.sort !== undefined) findOptions.sort = options.sort;
    if (options.limit !== undefined) findOptions.limit = options.limit;
    if (options.skip !== undefined) findOptions.skip = options.skip;
    if (options.projection !== undefined) findOptions.projection = options.projection;
    return collection.find<R>(this.scope(filter), findOptions).toArray();
  }

  /**
   * Reads every match through one cursor and hands it out in batches of at most `batchSize`
   * (bounded memory for long scans such as an ETL window); the cursor never leaves. `map` turns
   * each document into what the batch holds as it arrives, so a long batch keeps only what the
   * caller needs (the decoded documents die young, which keeps the garbage collector cheap).
   *
   * The cursor returns raw BSON and each document is decoded here with the driver's own `BSON`:
   * the same objects, without the driver's per-document element walk, which cost about a third of
   * a large read's CPU (docs/design-notes.md, "ETL reads").
   */
  async forEachBatch<R extends Document = WithId<T>, M = R>(
    filter: Filter<T>,
    options: Pick<TenantFindOptions, 'sort' | 'projection'> & { batchSize: number; map?: (doc: R) => M },
    handle: (batch: M[]) => Promise<void>,
  ): Promise<void> {
    const collection = await this.#collection();
    const findOptions: FindOptions = { batchSize: options.batchSize, raw: true };
    if (options.sort !== undefined) findOptions.sort = options.sort;
    if (options.projection !== undefined) findOptions.projection = options.projection;
    const map = options.map ?? ((doc: R) => doc as unknown as M);
    const cursor = collection.find<Uint8Array>(this.scope(filter), findOptions);
    try {
      let batch: M[] = [];
      for await (const raw of cursor) {
        batch.push(map(BSON.deserialize(raw) as R));
        if (batch.length >= options.batchSize) {
          await handle(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await handle(batch);
    } finally {
      await cursor.close();
    }
  }

  async findOne<R extends Document = WithId<T>>(
    filter: Filter<T> = {},
    options: Pick<TenantFindOptions, 'sort' | 'projection'> = {},
  ): Promise<R | null> {
    const [first] = await this.find<R>(filter, { ...options, limit: 1 });
    return first ?? null;
  }

  async insertOne(doc: TenantInput<T>): Promise<void> {
    await (await this.#collection()).insertOne(this.stamp(doc));
  }

  /** Ordered: stops at the first failing document, like the driver. */
  async insertMany(docs: readonly TenantInput<T>[]): Promise<void> {
    if (docs.length === 0) return;
    await (await this.#collection()).insertMany(docs.map((doc) => this.stamp(doc)));
  }

  async updateOne(
    filter: Filter<T>,
    update: UpdateFilter<T>,
    options: { upsert?: boolean } = {},
  ): Promise<{ matched: number; modified: number; upserted: boolean }> {
    const collection = await this.#collection();
    const result = await collection.updateOne(this.scope(filter), this.checkUpdate(update, options.upsert ?? false), {
      upsert: options.upsert ?? false,
    });
    return { matched: result.matchedCount, modified: result.modifiedCount, upserted: result.upsertedCount > 0 };
  }

  async updateMany(filter: Filter<T>, update: UpdateFilter<T>): Promise<{ matched: number; modified: number }> {
    const collection = await this.#collection();
    const result = await collection.updateMany(this.scope(filter), this.checkUpdate(update, false));
    return { matched: result.matchedCount, modified: result.modifiedCount };
  }

  async deleteMany(filter: Filter<T>): Promise<number> {
    return (await (await this.#collection()).deleteMany(this.scope(filter))).deletedCount;
  }

  async countDocuments(filter: Filter<T> = {}): Promise<number> {
    return (await this.#collection()).countDocuments(this.scope(filter));
  }

  private scope(filter: Filter<T>): Filter<T> {
    this.refuseForeignAppId(filter, 'filter');
    return { ...filter, app_id: this.appId } as Filter<T>;
  }

  private stamp(doc: TenantInput<T>): OptionalUnlessRequiredId<T> {
    if (doc.app_id !== undefined && doc.app_id !== this.appId) {
      throw new TenantScopeError(`document names app '${doc.app_id}' in a collection scoped to '${this.appId}'`);
    }
    return { ...doc, app_id: this.appId } as unknown as OptionalUnlessRequiredId<T>;
  }

  /** Operator updates only (a replacement or pipeline could rewrite `app_id`); `app_id` may be set
   * only to this app's own id. Upserts get `app_id` in `$setOnInsert` explicitly. */
  private checkUpdate(update: UpdateFilter<T>, upsert: boolean): UpdateFilter<T> {
    if (Array.isArray(update)) throw new TenantScopeError('pipeline updates are not allowed on tenant collections');
    const operators: Record<string, unknown> = update;
    for (const [operator, body] of Object.entries(operators)) {
      if (!operator.startsWith('$')) throw new TenantScopeError(`replacement updates are not allowed (field '${operator}')`);
      if (!isPlainObject(body)) continue;
      for (const [field, value] of Object.entries(body)) {
        if (field !== 'app_id' && !field.startsWith('app_id.')) continue;
        const settingOwnApp = (operator === '$set' || operator === '$setOnInsert') && field === 'app_id' && value === this.appId;
        if (!settingOwnApp) throw new TenantScopeError(`update may not change app_id (${operator}.${field})`);
      }
    }
    if (!upsert) return update;
    const set = operators.$set;
    if (isPlainObject(set) && 'app_id' in set) return update;
    const setOnInsert = isPlainObject(operators.$setOnInsert) ? operators.$setOnInsert : {};
    return { ...operators, $setOnInsert: { ...setOnInsert, app_id: this.appId } } as UpdateFilter<T>;
  }

  /** Walks the whole filter: an `app_id` anywhere (inside `$or`, `$and`, `$in`...) must be exactly
   * this app's id, so no query even tries to name another tenant. */
  private refuseForeignAppId(value: unknown, where: string): void {
    if (Array.isArray(value)) {
      for (const item of value) this.refuseForeignAppId(item, where);
      return;
    }
    if (!isPlainObject(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$where' || key === '$function') throw new TenantScopeError(`${key} is not allowed in a tenant ${where}`);
      if (key === 'app_id' || key.startsWith('app_id.')) {
        if (inner !== this.appId) throw new TenantScopeError(`${where} names another app_id than '${this.appId}'`);
        continue;
      }
      this.refuseForeignAppId(inner, where);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export interface TenantCollections {
  appId: string;
  sessions: TenantCollection<ChatSessionDoc>;
  messages: TenantCollection<ChatMessageDoc>;
  /** Copies of each chat's newest messages, read by `_id` (see `ChatWindowDoc`). */
  windows: TenantCollection<ChatWindowDoc>;
  usageEvents: TenantCollection<UsageEventDoc>;
  auditEvents: TenantCollection<AuditEventDoc>;
}

/** The collections of DESIGN §4 that chat activities use, scoped to one app. The database is
 * resolved per app (`MongoStores.dbFor`) on first use. */
export function tenantCollections(mongo: MongoStores, appId: string): TenantCollections {
  const open =
    <T extends TenantDoc>(name: string) =>
    () =>
      mongo.collectionFor<T>(appId, name);
  return {
    appId,
    sessions: new TenantCollection<ChatSessionDoc>(appId, 'chat_sessions', open('chat_sessions')),
    messages: new TenantCollection<ChatMessageDoc>(appId, 'chat_messages', open('chat_messages')),
    windows: new TenantCollection<ChatWindowDoc>(appId, 'chat_windows', open('chat_windows')),
    usageEvents: new TenantCollection<UsageEventDoc>(appId, 'usage_events', open('usage_events')),
    auditEvents: new TenantCollection<AuditEventDoc>(appId, 'audit_events', open('audit_events')),
  };
}
