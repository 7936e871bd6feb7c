/**
 * The `apps` collection (system of record) and a Redis copy of each app's request-time state (key
 * digest, limits, pause), so every API replica authenticates and admits with one Redis read.
 *
 * Writes go to MongoDB first, then overwrite the Redis copy (and the origin index every process's
 * CORS preflights read, `app-origins.ts`); a replica filling the copy after a miss
 * uses SET NX, so it can never overwrite a newer write with the older state it read — a rotated
 * key stays refused everywhere.
 */
import type { Redis } from 'ioredis';
import { effectiveLimits, type AppLimits, type AppState, type IdentityProvider, type Tier } from '../domain/apps';
import { publishAppOrigins } from './app-origins';
import type { MongoStores } from './mongo';
import { isDuplicateKeyError } from './mongo-errors';
import { TenantCollection } from './tenant-collection';

export interface AppDoc {
  app_id: string;
  name: string;
  tier: Tier;
  /** Only the limits set for this app; the tier supplies the rest. */
  limit_overrides: Partial<AppLimits>;
  paused: boolean;
  key_digest: string;
  key_rotated_at: Date;
  identity_provider?: IdentityProvider;
  /** Canonical origins (`src/domain/apps/origins.ts`); absent on apps created before the field: none. */
  allowed_origins?: string[];
  created_at: Date;
  updated_at: Date;
}

export interface AppChanges {
  name?: string;
  tier?: Tier;
  limits?: Partial<AppLimits>;
  paused?: boolean;
  /** null removes the provider. */
  identity_provider?: IdentityProvider | null;
  /** Replaces the whole list. */
  allowed_origins?: string[];
}

export class AppExistsError extends Error {
  constructor(appId: string) {
    super(`app '${appId}' already exists`);
    this.name = 'AppExistsError';
  }
}

const STATE_TTL_SECONDS = 24 * 60 * 60;

export class AppRegistry {
  constructor(
    private readonly mongo: MongoStores,
    private readonly redis: Redis,
  ) {}

  async create(
    input: { app_id: string; name: string; tier: Tier; limits?: Partial<AppLimits>; allowed_origins?: string[] },
    keyDigest: string,
    now: Date,
  ): Promise<AppDoc> {
    const doc: AppDoc = {
      app_id: input.app_id,
      name: input.name,
      tier: input.tier,
      limit_overrides: input.limits ?? {},
      paused: false,
      allowed_origins: input.allowed_origins ?? [],
      key_digest: keyDigest,
      key_rotated_at: now,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.collection(input.app_id).insertOne(doc);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AppExistsError(input.app_id);
      throw error;
    }
    await this.writeState(doc);
    return doc;
  }

  async get(appId: string): Promise<AppDoc | null> {
    return this.collection(appId).findOne<AppDoc>({}, { projection: { _id: 0 } });
  }

  /** The app's request-time state: Redis first, MongoDB on a miss. */
  async state(appId: string): Promise<AppState | null> {
    const cached = await this.redis.get(stateKey(appId));
    if (cached) return JSON.parse(cached) as AppState;
    const doc = await this.get(appId);
    if (!doc) return null;
    const state = toState(doc);
    await this.redis.set(stateKey(appId), JSON.stringify(state), 'EX', STATE_TTL_SECONDS, 'NX');
    return state;
  }

  async update(appId: string, changes: AppChanges, now: Date): Promise<AppDoc | null> {
    const set: Record<string, unknown> = { updated_at: now };
    const unset: Record<string, ''> = {};
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.tier !== undefined) set.tier = changes.tier;
    if (changes.paused !== undefined) set.paused = changes.paused;
    if (changes.allowed_origins !== undefined) set.allowed_origins = changes.allowed_origins;
    for (const [field, value] of Object.entries(changes.limits ?? {})) set[`limit_overrides.${field}`] = value;
    if (changes.identity_provider === null) unset.identity_provider = '';
    else if (changes.identity_provider !== undefined) set.identity_provider = changes.identity_provider;
    return this.apply(appId, { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) });
  }

  async rotateKey(appId: string, keyDigest: string, now: Date): Promise<AppDoc | null> {
    return this.apply(appId, { $set: { key_digest: keyDigest, key_rotated_at: now, updated_at: now } });
  }

  private async apply(appId: string, update: Record<string, unknown>): Promise<AppDoc | null> {
    const result = await this.collection(appId).updateOne({}, update);
    if (result.matched === 0) return null;
    const doc = await this.get(appId);
    if (doc) await this.writeState(doc);
    return doc;
  }

  private async writeState(doc: AppDoc): Promise<void> {
    await this.redis.set(stateKey(doc.app_id), JSON.stringify(toState(doc)), 'EX', STATE_TTL_SECONDS);
    // Every API process's preflight copy (`app-origins.ts`) follows within moments.
    await publishAppOrigins(this.redis, doc.app_id, doc.allowed_origins ?? []);
  }

  private collection(appId: string): TenantCollection<AppDoc> {
    return new TenantCollection<AppDoc>(appId, 'apps', async () => (await this.mongo.dbFor(appId)).collection<AppDoc>('apps'));
  }
}

export function toState(doc: AppDoc): AppState {
  return {
    app_id: doc.app_id,
    tier: doc.tier,
    limits: effectiveLimits(doc.tier, doc.limit_overrides),
    paused: doc.paused,
    key_digest: doc.key_digest,
    ...(doc.identity_provider ? { identity_provider: doc.identity_provider } : {}),
    allowed_origins: doc.allowed_origins ?? [],
  };
}

function stateKey(appId: string): string {
  return `app-state:${appId}`;
}
