/** A throwaway database on the test FerretDB with Tessera's indexes, and one tenant's collections in
 * it, for store tests; `drop()` removes the database and closes the client. */
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections, type TenantCollections } from '../../src/stores/tenant-collection';
import { services, uniqueName } from './services';

export interface TenantStore {
  mongo: MongoStores;
  collections: TenantCollections;
  drop(): Promise<void>;
}

export async function openTenantStore(label: string, appId = 'acme'): Promise<TenantStore> {
  const mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName(label) }));
  await ensureMongoIndexes(await mongo.dbFor(appId));
  return {
    mongo,
    collections: tenantCollections(mongo, appId),
    async drop() {
      await (await mongo.dbFor(appId)).dropDatabase();
      await mongo.close();
    },
  };
}
