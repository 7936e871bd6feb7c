/**
 * A turn's transcript comes from the chat's window documents: the same messages the record
 * (`chat_messages`) holds, read by `_id` in the same number of queries at turn 1 and turn 200.
 */
import type { CommandStartedEvent, Document } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatRepository } from '../../src/stores/chat-repository';
import { WINDOW_SIZE } from '../../src/stores/chat-windows';
import type { ChatMessageDoc } from '../../src/stores/documents';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections, type TenantCollections } from '../../src/stores/tenant-collection';
import { services, uniqueName } from '../support/services';

let mongo: MongoStores;
let collections: TenantCollections;
let chats: ChatRepository;
const sent: CommandStartedEvent[] = [];
const now = new Date('2025-06-01T12:00:00Z');

const message = (chatId: string, seq: number, overrides: Partial<ChatMessageDoc> = {}) => ({
  chat_id: chatId,
  message_id: `${chatId}-m${seq}`,
  seq,
  role: seq % 2 === 1 ? ('user' as const) : ('assistant' as const),
  content: `message ${seq}`,
  turn_id: `${chatId}-t${Math.ceil(seq / 2)}`,
  status: 'complete' as const,
  created_at: now,
  ...overrides,
});

/** What the record says: the newest `last` messages before `beforeSeq`, not rolled back. */
async function fromRecord(chatId: string, last: number, beforeSeq: number): Promise<ChatMessageDoc[]> {
  const docs = await collections.messages.find<ChatMessageDoc>(
    { chat_id: chatId, seq: { $lt: beforeSeq }, status: { $ne: 'rolled_back' } },
    { sort: { seq: -1 }, limit: last, projection: { _id: 0 } },
  );
  return docs.reverse();
}

const viaWindows = (chatId: string, last: number, beforeSeq: number) =>
  chats.transcript(chatId, { last, beforeSeq, excludeStatuses: ['rolled_back'] });

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('windows') }), { monitorCommands: true });
  await ensureMongoIndexes(await mongo.dbFor('acme'));
  collections = tenantCollections(mongo, 'acme');
  chats = new ChatRepository(collections);
  (await mongo.client(services().mongoUri)).on('commandStarted', (event) => sent.push(event));
});

afterAll(async () => {
  await (await mongo.dbFor('acme')).dropDatabase();
  await mongo.close();
});

it('reads the same transcript as the record, across window boundaries, statuses and unused seqs', async () => {
  const unused = new Set([WINDOW_SIZE, WINDOW_SIZE * 2 + 5]);
  for (let seq = 1; seq <= WINDOW_SIZE * 3 + 10; seq++) if (!unused.has(seq)) await chats.insertMessage(message('long', seq));
  await chats.setTurnStatus('long', 'long-t90', 'interrupted');
  await chats.deleteTurnMessages('long', 'long-t91');
  await chats.setTurnStatus('long', 'long-t92', 'rolled_back');
  for (const beforeSeq of [1, 2, 30, WINDOW_SIZE, WINDOW_SIZE + 1, 180, 186, 190, WINDOW_SIZE * 3 + 11]) {
    const expected = await fromRecord('long', 60, beforeSeq);
    expect((await viaWindows('long', 60, beforeSeq)).map((m) => [m.seq, m.status])).toEqual(expected.map((m) => [m.seq, m.status]));
  }
  const [newest] = await viaWindows('long', 1, 10);
  expect(newest).toEqual({ ...message('long', 9), app_id: 'acme' });
});

it('keeps the stored message when a retry writes the same id with other content', async () => {
  await chats.insertMessage(message('retry', 1));
  await chats.insertMessage(message('retry', 1, { content: 'another answer on retry' }));
  await expect(chats.insertMessage(message('retry', 1, { message_id: 'other-id' }))).rejects.toThrow(/seq 1/);
  expect((await viaWindows('retry', 10, 2)).map((m) => m.content)).toEqual(['message 1']);
});

it('completes a window from the record when older messages were stored without windows', async () => {
  const older = Array.from({ length: WINDOW_SIZE + 20 }, (_, i) => ({ ...message('legacy', i + 1), app_id: 'acme' }));
  await (await mongo.dbFor('acme')).collection('chat_messages').insertMany(older);
  await chats.insertMessage(message('legacy', WINDOW_SIZE + 21));
  const expected = await fromRecord('legacy', 60, WINDOW_SIZE + 22);
  expect((await viaWindows('legacy', 60, WINDOW_SIZE + 22)).map((m) => m.seq)).toEqual(expected.map((m) => m.seq));
  // Completed once: the next read asks chat_messages nothing.
  sent.length = 0;
  await viaWindows('legacy', 60, WINDOW_SIZE + 22);
  expect(sent.filter((event) => event.commandName === 'find').map((event) => event.command.find as string)).toEqual(['chat_windows', 'chat_windows']);
});

it('reads a long chat’s transcript with the same queries, by _id, at every length, and keeps two windows', async () => {
  const queriesAt = async (seq: number) => {
    sent.length = 0;
    await viaWindows('flat', 60, seq);
    return sent.map((event) => [event.commandName, event.command.find, Object.keys(event.command.filter as Document).sort()]);
  };
  const shapes: unknown[] = [];
  for (let seq = 1; seq <= 400; seq++) {
    await chats.insertMessage(message('flat', seq));
    if (seq % 100 === 0) shapes.push(await queriesAt(seq + 1));
  }
  expect(shapes).toEqual(Array.from({ length: 4 }, () => [
    ['find', 'chat_windows', ['_id', 'app_id']],
    ['find', 'chat_windows', ['_id', 'app_id']],
  ]));
  const windows = await collections.windows.find({ chat_id: 'flat' }, { projection: { window: 1 } });
  expect(windows.map((w) => w.window).sort((a, b) => a - b)).toEqual([Math.floor(400 / WINDOW_SIZE) - 1, Math.floor(400 / WINDOW_SIZE)]);
});

it('forgets messages the record dropped elsewhere (retention)', async () => {
  for (let seq = 1; seq <= 4; seq++) await chats.insertMessage(message('kept', seq));
  await collections.messages.deleteMany({ chat_id: 'kept', seq: { $lte: 2 } });
  await chats.forgetInWindows([{ chat_id: 'kept', seq: 1 }, { chat_id: 'kept', seq: 2 }]);
  expect((await viaWindows('kept', 10, 5)).map((m) => m.seq)).toEqual([3, 4]);
});
