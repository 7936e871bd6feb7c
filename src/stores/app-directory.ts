/**
 * The list of tenants, for jobs that visit every app (the ETL, retention). This is the one
 * system-level read of the `apps` collection (with the admin's list of apps, `app-list.ts`): listing
 * tenants cannot be scoped to a tenant. Every read of an app's data that follows goes through its
 * tenant-scoped collections.
 */
import type { Tier } from '../domain/apps';
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
