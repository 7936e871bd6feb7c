/**
 * The queries a chat turn sends are served from indexes, not collection scans: every `find` and
 * every update filter the repositories send (captured through the driver's command monitoring) is
 * explained on the embedded store, among thousands of other tenants' documents. Timing-free: the
 * plan says which index it reads; a plan that scans the collection fails the test.
 */
import type { CommandStartedEvent, Db, Document } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatRepository } from '../../src/stores/chat-repository';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { UsageRepository } from '../../src/stores/usage-repository';
import { explainFind } from '../support/explain';
import { services, uniqueName } from '../support/services';

const OTHER_APPS = 10;
const OTHER_MESSAGES = 3000;
const now = new Date('2025-06-01T12:00:00Z');

let mongo: MongoStores;
let db: Db;
const sent: CommandStartedEvent[] = [];

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('indexes') }), { monitorCommands: true });
  db = await mongo.dbFor('acme');
  await ensureMongoIndexes(db);
  // Other tenants' data, so that a scan and an index read are far apart in the planner's eyes.
  const messages = Array.from({ length: OTHER_MESSAGES }, (_, i) => ({
    app_id: `other-${i % OTHER_APPS}`,
    chat_id: `chat-${Math.floor(i / 30)}`,
    message_id: `m-${i}`,
    seq: (i % 30) + 1,
    role: 'user',
    content: 'lorem ipsum '.repeat(20),
    turn_id: `t-${i}`,
    status: 'complete',
    created_at: now,
  }));
  for (let i = 0; i < messages.length; i += 500) await db.collection('chat_messages').insertMany(messages.slice(i, i + 500));
  await db.collection('chat_sessions').insertMany(
    Array.from({ length: 300 }, (_, i) => ({ app_id: `other-${i % OTHER_APPS}`, chat_id: `chat-${i}`, user_id: 'u', template: 'assistant', status: 'active', turn_count: 0, next_seq: 1, updated_at: now })),
  );
  await db.collection('usage_events').insertMany(
    Array.from({ length: 1000 }, (_, i) => ({ app_id: `other-${i % OTHER_APPS}`, event_id: `e-${i}`, chat_id: `chat-${i}`, ts: now })),
  );
  (await mongo.client(services().mongoUri)).on('commandStarted', (event) => sent.push(event));
});

afterAll(async () => {
  await db.dropDatabase();
  await mongo.close();
});

/** Every find, and the filter of every update, sent while `work` ran. */
async function queriesOf(work: () => Promise<unknown>): Promise<Document[]> {
  sent.length = 0;
  await work();
  return sent.flatMap((event): Document[] => {
    const { command } = event;
    if (event.commandName === 'find') return [command];
    if (event.commandName === 'update') {
      return (command.updates as Document[]).map((update) => ({ find: command.update as string, filter: update.q as Document }));
    }
    return [];
  });
}

it('a turn’s session and message queries read indexes, never a whole collection', async () => {
  const collections = tenantCollections(mongo, 'acme');
  const chats = new ChatRepository(collections);
  const usage = new UsageRepository(collections);
  const queries = await queriesOf(async () => {
    await chats.openSession({ chatId: 'c1', userId: 'u1', template: 'assistant', now });
    await chats.insertMessage({ chat_id: 'c1', message_id: 'u-1', seq: 1, role: 'user', content: 'hi', turn_id: 't1', status: 'complete', created_at: now });
    await chats.bumpNextSeq('c1', 2, now);
    await chats.transcript('c1', { last: 60, beforeSeq: 2, excludeStatuses: ['rolled_back'] });
    await chats.findMessage('c1', 'u-1');
    await chats.recordFinishedTurn('c1', { turnNumber: 1, turnId: 't1', usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, cost_nanos: 1, unpriced_calls: 0 }, now });
    await usage.find('e-1');
  });
  expect(queries.length).toBeGreaterThanOrEqual(6);
  for (const query of queries) {
    const access = await explainFind(db, query);
    expect({ query: query.filter as unknown, ...access }).toMatchObject({ fullScan: false, indexes: expect.arrayContaining([expect.any(String)]) });
  }
});

it('the check itself tells a scan apart: a filter on an unindexed field scans', async () => {
  const access = await explainFind(db, { find: 'chat_messages', filter: { content: 'nothing like this' } });
  expect(access).toEqual({ indexes: [], fullScan: true });
});
