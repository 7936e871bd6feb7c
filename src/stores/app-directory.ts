/**
 * The list of tenants, for jobs that visit every app (the ETL, retention) and the admin's list of
 * apps. This is the one system-level read of the `apps` collection: listing tenants cannot be
 * scoped to a tenant. Every read of an app's data that follows goes through its tenant-scoped
 * collections.
 */
import type { Tier } from '../domain/apps';
import type { Sort } from 'mongodb';
import type { AppDoc } from './app-registry';
import type { MongoStores } from './mongo';

export interface AppListing {
  app_id: string;
  tier: Tier;
}

/** Apps whose events belong to no registered app (admin actions are audited here). */
export const SYSTEM_APP_ID = '_system';

export async function listApps(mongo: MongoStores): Promise<AppListing[]> {
  const db = await mongo.dbFor(SYSTEM_APP_ID);
  const docs = await db
    .collection<AppListing>('apps')
    .find({}, { projection: { _id: 0, app_id: 1, tier: 1 }, sort: { app_id: 1 } })
    .toArray();
  return docs.map((doc) => ({ app_id: doc.app_id, tier: doc.tier ?? 'free' }));
}

export interface AppOrigins {
  app_id: string;
  allowed_origins: string[];
}

/** Every app with allowed origins (to rebuild the Redis origin index, `app-origins.ts`, after Redis lost it). */
export async function listAllowedOrigins(mongo: MongoStores): Promise<AppOrigins[]> {
  const db = await mongo.dbFor(SYSTEM_APP_ID);
  const docs = await db
    .collection<Partial<AppOrigins>>('apps')
    .find({ allowed_origins: { $exists: true } }, { projection: { _id: 0, app_id: 1, allowed_origins: 1 } })
    .toArray();
  return docs.flatMap((doc) =>
    typeof doc.app_id === 'string' && Array.isArray(doc.allowed_origins) && doc.allowed_origins.length > 0
      ? [{ app_id: doc.app_id, allowed_origins: doc.allowed_origins }]
      : [],
  );
}

/**
 * One page of the apps for the admin's list (`GET /v1/apps`): newest first (creation time, ties by
 * app id) or by app id, strictly after `after` (the last app of the previous page).
 */
export async function listAppPage(
  mongo: MongoStores,
  page: { order: 'newest' | 'app_id'; limit: number; after?: { created_at: Date; app_id: string } },
): Promise<AppDoc[]> {
  const db = await mongo.dbFor(SYSTEM_APP_ID);
  const { order, after } = page;
  const filter =
    after === undefined
      ? {}
      : order === 'app_id'
        ? { app_id: { $gt: after.app_id } }
        : { $or: [{ created_at: { $lt: after.created_at } }, { created_at: after.created_at, app_id: { $gt: after.app_id } }] };
  const sort: Sort = order === 'app_id' ? { app_id: 1 } : { created_at: -1, app_id: 1 };
  return db.collection<AppDoc>('apps').find(filter, { projection: { _id: 0 }, sort, limit: page.limit }).toArray();
}
