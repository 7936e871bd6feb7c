/**
 * The admin's list of apps (`GET /v1/apps`), the other system-level read of the `apps` collection
 * beside `app-directory.ts`: listing tenants cannot be scoped to a tenant.
 */
import type { Sort } from 'mongodb';
import { SYSTEM_APP_ID } from './app-directory';
import type { AppDoc } from './app-registry';
import type { MongoStores } from './mongo';

/**
 * One page of the apps: newest first (creation time, ties by app id) or by app id, strictly after
 * `after` (the last app of the previous page).
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
