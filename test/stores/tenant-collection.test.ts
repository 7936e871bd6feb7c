import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collection } from 'mongodb';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections, TenantScopeError, type TenantCollections } from '../../src/stores/tenant-collection';
import { services, uniqueName } from '../support/services';

let mongo: MongoStores;
let acme: TenantCollections;
let globex: TenantCollections;

const session = (chatId: string) => ({
  chat_id: chatId,
  user_id: 'u1',
  template: 'assistant',
  status: 'active' as const,
  turn_count: 0,
  next_seq: 1,
  totals: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, cost_nanos: 0, unpriced_calls: 0 },
  created_at: new Date(),
  updated_at: new Date(),
});

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('tenant') }));
  await ensureMongoIndexes(await mongo.dbFor('acme'));
  acme = tenantCollections(mongo, 'acme');
  globex = tenantCollections(mongo, 'globex');
  await acme.sessions.insertMany([session('a1'), session('a2')]);
  await globex.sessions.insertOne(session('g1'));
});

afterAll(async () => {
  await (await mongo.dbFor('acme')).dropDatabase();
  await mongo.close();
});

describe('TenantCollection', () => {
  it('stamps app_id on inserts and sees only its own app', async () => {
    expect((await acme.sessions.find()).map((s) => s.chat_id).sort()).toEqual(['a1', 'a2']);
    expect((await globex.sessions.find()).map((s) => s.app_id)).toEqual(['globex']);
    expect(await acme.sessions.countDocuments()).toBe(2);
    expect(await acme.sessions.findOne({ chat_id: 'g1' })).toBeNull();
  });

  it('cannot reach another app through $or, $in or a nested app_id', async () => {
    await expect(acme.sessions.find({ $or: [{ app_id: 'globex' }, { chat_id: 'a1' }] })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(acme.sessions.find({ app_id: { $in: ['acme', 'globex'] } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(acme.sessions.countDocuments({ app_id: { $ne: 'acme' } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(acme.sessions.deleteMany({ app_id: 'globex' })).rejects.toBeInstanceOf(TenantScopeError);
    // A filter without app_id matching everything still only touches this app.
    expect(await acme.sessions.countDocuments({ $or: [{ chat_id: 'a1' }, { chat_id: 'g1' }] })).toBe(1);
    // Naming its own app is fine.
    expect(await acme.sessions.countDocuments({ app_id: 'acme' })).toBe(2);
  });

  it('refuses documents and updates that name another app', async () => {
    await expect(acme.sessions.insertOne({ ...session('x'), app_id: 'globex' })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(acme.sessions.insertMany([session('y'), { ...session('z'), app_id: 'globex' }])).rejects.toBeInstanceOf(
      TenantScopeError,
    );
    await expect(acme.sessions.updateOne({ chat_id: 'a1' }, { $set: { app_id: 'globex' } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(acme.sessions.updateMany({}, { $unset: { app_id: '' } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(acme.sessions.updateOne({ chat_id: 'a1' }, { $rename: { app_id: 'tenant' } })).rejects.toBeInstanceOf(
      TenantScopeError,
    );
    expect(await acme.sessions.countDocuments()).toBe(2);
    expect(await globex.sessions.countDocuments()).toBe(1);
  });

  it('updates and deletes only within the app, and upserts into it', async () => {
    const all = await acme.sessions.updateMany({}, { $set: { status: 'closed' } });
    expect(all.matched).toBe(2);
    expect((await globex.sessions.findOne({ chat_id: 'g1' }))?.status).toBe('active');

    const upsert = await globex.sessions.updateOne({ chat_id: 'g2' }, { $setOnInsert: session('g2') }, { upsert: true });
    expect(upsert.upserted).toBe(true);
    expect((await globex.sessions.findOne({ chat_id: 'g2' }))?.app_id).toBe('globex');

    expect(await globex.sessions.deleteMany({})).toBe(2);
    expect(await acme.sessions.countDocuments()).toBe(2);
  });

  it('supports sort, limit and projection', async () => {
    const rows = await acme.sessions.find<{ chat_id: string }>({}, { sort: { chat_id: -1 }, limit: 1, projection: { _id: 0, chat_id: 1 } });
    expect(rows).toEqual([{ chat_id: 'a2' }]);
  });

  it('exposes no raw collection', () => {
    const exposed = [...Object.values(acme.sessions), ...Object.values(Object.getPrototypeOf(acme.sessions) as object)];
    expect(exposed.some((value) => value instanceof Collection)).toBe(false);
  });

  it('cannot be built without an app id', () => {
    expect(() => tenantCollections(mongo, '')).toThrow(TenantScopeError);
  });
});
