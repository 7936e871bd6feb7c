/**
 * Retention deletes old messages from the record and from the chats' window documents alike, so
 * no message text outlives its retention in a window (see docs/design-notes.md, chat windows).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import type { AnalyticsDeps } from '../../src/activities/analytics/deps';
import { retainApp } from '../../src/activities/analytics/retention';
import { ChatRepository } from '../../src/stores/chat-repository';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { services, uniqueName } from '../support/services';

let mongo: MongoStores;
let chats: ChatRepository;
const archiveDir = path.join(services().runDir, uniqueName('archive'));

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('retainwin') }));
  await ensureMongoIndexes(await mongo.dbFor('acme'));
  chats = new ChatRepository(tenantCollections(mongo, 'acme'));
});

afterAll(async () => {
  await (await mongo.dbFor('acme')).dropDatabase();
  await mongo.close();
  fs.rmSync(archiveDir, { recursive: true, force: true });
});

it('removes retained messages from the chat windows as well as from chat_messages', async () => {
  const at = (seq: number) => (seq <= 3 ? new Date('2020-01-01T00:00:00Z') : new Date('2025-06-01T12:00:00Z'));
  for (let seq = 1; seq <= 4; seq++) {
    await chats.insertMessage({ chat_id: 'c1', message_id: `m${seq}`, seq, role: 'user', content: `text ${seq}`, turn_id: `t${seq}`, status: 'complete', created_at: at(seq) });
  }
  // Retention reads only the store and the archive sink.
  const deps = { mongo, archive: localDirSink(archiveDir) } as unknown as AnalyticsDeps;
  const result = await retainApp(deps, { appId: 'acme', tier: 'free', day: '2025-06-01' });
  expect(result.archived).toBe(3);
  expect((await chats.transcript('c1', { last: 60, beforeSeq: 5 })).map((m) => m.content)).toEqual(['text 4']);
});
