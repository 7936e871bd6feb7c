import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditEventInput } from '../../src/domain/audit';
import { AuditRepository } from '../../src/stores/audit-repository';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { services, uniqueName } from '../support/services';

let mongo: MongoStores;
let audit: AuditRepository;

const event = (appId: string, id: string, chatId = 'c1'): AuditEventInput => ({
  event_id: `audit:test:${appId}:${id}`,
  app_id: appId,
  ts: new Date().toISOString(),
  actor: { actor_id: 'u1', roles: ['user'], app_id: appId },
  action: 'create',
  resource: { type: 'chat_message', id },
  outcome: 'success',
  details: { chat_id: chatId },
});

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('audit') }));
  await ensureMongoIndexes(await mongo.dbFor('acme'));
  audit = new AuditRepository(mongo);
});

afterAll(async () => {
  await (await mongo.dbFor('acme')).dropDatabase();
  await mongo.close();
});

it('chains events of two chats of one app, and verifies the chain', async () => {
  for (const [id, chat] of [['m1', 'c1'], ['m2', 'c2'], ['m3', 'c1'], ['m4', 'c2']] as const) {
    await audit.appendAuditEvent(event('acme', id, chat));
  }
  const events = await audit.listAppEvents('acme');
  expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  expect(events[1]?.prev_hash).toBe(events[0]?.hash);
  expect(await audit.verifyAppAuditChain('acme')).toEqual({ valid: true, count: 4 });
});

it('is idempotent on event_id', async () => {
  const first = await audit.appendAuditEvent(event('acme', 'm1'));
  expect(first.seq).toBe(1);
  expect(await audit.listAppEvents('acme')).toHaveLength(4);
});

it('keeps a valid chain under 20 concurrent appends, with no duplicate seq', async () => {
  const inputs = Array.from({ length: 20 }, (_, i) => event('acme', `race${i}`, i % 2 ? 'c1' : 'c2'));
  // Each event also raced against its own retry.
  await Promise.all([...inputs, ...inputs.slice(0, 5)].map((input) => audit.appendAuditEvent(input)));
  const events = await audit.listAppEvents('acme', { limit: 1000 });
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(new Set(events.map((e) => e.event_id)).size).toBe(24);
  expect(await audit.verifyAppAuditChain('acme')).toEqual({ valid: true, count: 24 });
});

it('writes the appends made together in one insert, those that arrive meanwhile in the next, and falls back one by one on a conflict', async () => {
  const db = uniqueName('auditbatch');
  const inserts: number[] = [];
  const watched = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db }), { monitorCommands: true });
  try {
    (await watched.client(services().mongoUri)).on('commandStarted', (command) => {
      if (command.commandName === 'insert' && command.command.insert === 'audit_events') inserts.push((command.command.documents as unknown[]).length);
    });
    await ensureMongoIndexes(await watched.dbFor('batchy'));
    const repository = new AuditRepository(watched);
    const inputs = Array.from({ length: 30 }, (_, i) => event('batchy', `b${i}`));
    const together = Promise.all(inputs.slice(0, 10).map((input) => repository.appendAuditEvent(input)));
    await new Promise((resolve) => setImmediate(resolve)); // the first write is on its way
    const meanwhile = Promise.all(inputs.slice(10).map((input) => repository.appendAuditEvent(input)));
    const stored = [...(await together), ...(await meanwhile)];
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(inserts).toEqual([10, 20]); // made together: one write; arrived meanwhile: the next
    expect(await repository.verifyAppAuditChain('batchy')).toEqual({ valid: true, count: 30 });

    // Another process (a second repository) took the next seqs meanwhile; this one's cached head
    // is stale, and its batch holds a repeat of a stored event too.
    const other = new AuditRepository(watched);
    await other.appendAuditEvent(event('batchy', 'elsewhere1'));
    await other.appendAuditEvent(event('batchy', 'elsewhere2'));
    const again = await Promise.all(
      [event('batchy', 'c0'), event('batchy', 'c1'), event('batchy', 'b3'), event('batchy', 'c2')].map((input) => repository.appendAuditEvent(input)),
    );
    // The batch went on the stale head (seq 31 taken) and was appended one by one: c0 33, c1 34,
    // the repeat b3 found as stored, c2 35.
    expect(again.map((e) => e.seq)).toEqual([33, 34, 4, 35]);
    expect(again[2]).toEqual(stored[3]);
    const all = await repository.listAppEvents('batchy', { limit: 100 });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.event_id)).size).toBe(35);
    expect(await repository.verifyAppAuditChain('batchy')).toEqual({ valid: true, count: 35 });
  } finally {
    await (await watched.dbFor('batchy')).dropDatabase();
    await watched.close();
  }
});

it('keeps one chain per app', async () => {
  const other = await audit.appendAuditEvent(event('globex', 'g1'));
  expect(other.seq).toBe(1);
  expect(await audit.verifyAppAuditChain('globex')).toEqual({ valid: true, count: 1 });
  expect(await audit.verifyAppAuditChain('acme')).toMatchObject({ valid: true, count: 24 });
});

it('detects an edited event', async () => {
  const db = await mongo.dbFor('acme');
  await db.collection('audit_events').updateOne({ app_id: 'acme', seq: 3 }, { $set: { 'details.chat_id': 'forged' } });
  expect(await audit.verifyAppAuditChain('acme')).toMatchObject({ valid: false, count: 2, firstBroken: { seq: 3, reason: 'hash_mismatch' } });
});
