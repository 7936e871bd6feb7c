import { afterAll, beforeAll, expect, it } from 'vitest';
import { MongoServerError } from 'mongodb';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { services, uniqueName } from '../support/services';

let stores: MongoStores;
const dbName = uniqueName('mongo');

beforeAll(() => {
  stores = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: dbName }));
});

afterAll(async () => {
  await (await stores.dbFor('acme')).dropDatabase();
  await stores.close();
});

it('round-trips a document through the app database', async () => {
  const db = await stores.dbFor('acme');
  await db.collection('chat_sessions').insertOne({ app_id: 'acme', chat_id: 'c1', status: 'active' });
  const found = await db.collection('chat_sessions').findOne({ app_id: 'acme', chat_id: 'c1' });
  expect(found?.status).toBe('active');
});

it('creates the indexes, idempotently, and they enforce uniqueness', async () => {
  const db = await stores.dbFor('acme');
  await ensureMongoIndexes(db);
  await ensureMongoIndexes(db);
  const names = (await db.collection('chat_messages').indexes()).map((index) => index.name);
  expect(names).toEqual(expect.arrayContaining(['app_chat_seq_unique', 'app_message_unique']));

  const messages = db.collection('chat_messages');
  await messages.insertOne({ app_id: 'acme', chat_id: 'c1', seq: 1, message_id: 'm1' });
  await expect(messages.insertOne({ app_id: 'acme', chat_id: 'c1', seq: 1, message_id: 'm2' })).rejects.toBeInstanceOf(
    MongoServerError,
  );
  // The same seq in another app is a different message.
  await messages.insertOne({ app_id: 'globex', chat_id: 'c1', seq: 1, message_id: 'm1' });
});

it('refuses to resolve storage without an app id', () => {
  expect(() => stores.resolveStorage('')).toThrow(/app_id/);
});
