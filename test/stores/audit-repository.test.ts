import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventInput, ChainedAuditEvent } from '../../src/domain/audit';
import { AuditRepository, type AuditPosition, type AuditQuery } from '../../src/stores/audit-repository';
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
  // Every app of this file shares the one database.
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

describe('reading the log', () => {
  const at = (s: number) => new Date(Date.UTC(2025, 5, 1, 0, 0, s)).toISOString();
  const entry = (appId: string, id: string, ts: string, over: Partial<AuditEventInput> = {}): AuditEventInput => ({
    event_id: `audit:read:${appId}:${id}`,
    app_id: appId,
    ts,
    actor: { actor_id: 'reader', roles: ['user'], app_id: appId },
    action: 'read',
    resource: { type: 'chat', id: 'c1' },
    outcome: 'success',
    ...over,
  });
  /** Newest first: ts, then seq, descending. */
  const newestFirst = (a: ChainedAuditEvent, b: ChainedAuditEvent) => (a.ts === b.ts ? b.seq - a.seq : a.ts < b.ts ? 1 : -1);

  it('pages newest first by (ts, seq), stable under appends between pages: no repeat, no gap', async () => {
    // 30 entries over 20 seconds (several share a second, so seq breaks ties), appended out of ts
    // order as activities do (an entry's ts is when it happened, its seq when it was written).
    const seeded: AuditEventInput[] = [];
    for (let i = 0; i < 30; i++) seeded.push(entry('pager', `p${i}`, at((i * 7) % 20)));
    for (const input of seeded) await audit.appendAuditEvent(input);
    const existing = (await audit.listAppEvents('pager', { limit: 1000 })).sort(newestFirst);
    expect(existing).toHaveLength(30);

    const seen: ChainedAuditEvent[] = [];
    let after: AuditPosition | undefined;
    let pages = 0;
    for (;;) {
      const page = await audit.queryAppEvents('pager', {}, { limit: 7, ...(after ? { after } : {}) });
      seen.push(...page.entries);
      pages++;
      // Meanwhile: a newer entry, one with the very ts where the page ended (a later seq, so
      // before the cursor in the order), one backdated into the part already read, and one into
      // the part still to read.
      const n = pages;
      await audit.appendAuditEvent(entry('pager', `new${n}`, at(30 + n)));
      if (page.next) {
        await audit.appendAuditEvent(entry('pager', `same${n}`, page.next.ts));
        await audit.appendAuditEvent(entry('pager', `late-read${n}`, at(19)));
        await audit.appendAuditEvent(entry('pager', `late-unread${n}`, at(0)));
      }
      if (!page.next) break;
      after = page.next;
    }
    expect(pages).toBe(5);
    // Every page in order; the whole walk strictly newest first, with no entry twice.
    expect([...seen].sort(newestFirst)).toEqual(seen);
    expect(new Set(seen.map((e) => e.event_id)).size).toBe(seen.length);
    // Exactly the entries that existed at the first page, in order; of the new ones, only those
    // appended into the part still to be read (the ts-0 ones) show up.
    const old = new Set(existing.map((e) => e.event_id));
    expect(seen.filter((e) => old.has(e.event_id))).toEqual(existing);
    expect(seen.filter((e) => !old.has(e.event_id)).every((e) => e.event_id.includes('late-unread'))).toBe(true);
    expect(await audit.verifyAppAuditChain('pager')).toMatchObject({ valid: true });
  });

  it('filters by time, actor, action, resource and outcome, and only ever reads its own app', async () => {
    await audit.appendAuditEvent(entry('filters', 'a', at(1), { actor: { actor_id: 'ann', roles: ['admin'], app_id: 'filters' }, action: 'update', resource: { type: 'app', id: 'filters' } }));
    await audit.appendAuditEvent(entry('filters', 'b', at(2), { actor: { actor_id: 'bob', roles: ['user'], app_id: 'filters' }, resource: { type: 'chat', id: 'c7' } }));
    await audit.appendAuditEvent(entry('filters', 'c', at(3), { actor: { actor_id: 'bob', roles: ['user'], app_id: 'filters' }, outcome: 'failure', resource: { type: 'chat', id: 'c8' } }));
    await audit.appendAuditEvent(entry('filters', 'd', at(4), { action: 'llm_interaction', resource: { type: 'chat_message', id: 'm1' } }));
    // Another app's entries match every filter below but its app.
    for (const id of ['a', 'b', 'c', 'd']) await audit.appendAuditEvent(entry('filters-other', id, at(2), { actor: { actor_id: 'bob', roles: ['user'], app_id: 'filters-other' } }));
    const ids = async (query: AuditQuery) => (await audit.queryAppEvents('filters', query, { limit: 100 })).entries.map((e) => e.event_id.split(':').at(-1));
    expect(await ids({})).toEqual(['d', 'c', 'b', 'a']);
    expect(await ids({ from: at(2), to: at(4) })).toEqual(['c', 'b']); // from inclusive, to exclusive
    expect(await ids({ from: '2025-06-01T02:00:03+02:00' })).toEqual(['d', 'c']); // an offset is the same instant
    expect(await ids({ actor: 'bob' })).toEqual(['c', 'b']);
    expect(await ids({ action: 'update' })).toEqual(['a']);
    expect(await ids({ resourceType: 'chat' })).toEqual(['c', 'b']);
    expect(await ids({ resourceType: 'chat', resourceId: 'c7' })).toEqual(['b']);
    expect(await ids({ outcome: 'failure' })).toEqual(['c']);
    expect(await ids({ actor: 'bob', outcome: 'success', to: at(3) })).toEqual(['b']);
    expect(await ids({ actor: 'nobody' })).toEqual([]);
    const all = await audit.queryAppEvents('filters', {}, { limit: 100 });
    expect(all.entries.every((e) => e.app_id === 'filters')).toBe(true);
    expect(all.next).toBeNull();
    // A filtered walk pages too.
    const first = await audit.queryAppEvents('filters', { actor: 'bob' }, { limit: 1 });
    expect(first.entries.map((e) => e.event_id)).toEqual(['audit:read:filters:c']);
    const second = await audit.queryAppEvents('filters', { actor: 'bob' }, { limit: 1, after: first.next ?? undefined });
    expect(second.entries.map((e) => e.event_id)).toEqual(['audit:read:filters:b']);
    expect(second.next).toBeNull();
  });

  it('verifies a chain in batches through one cursor and stops at the first broken entry', async () => {
    const db = uniqueName('auditverify');
    const watched = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db }), { monitorCommands: true });
    const commands: { name: string; batchSize?: number }[] = [];
    try {
      await ensureMongoIndexes(await watched.dbFor('chainy'));
      const repository = new AuditRepository(watched, { verifyBatch: 5 });
      for (let i = 1; i <= 42; i++) await repository.appendAuditEvent(entry('chainy', `v${i}`, at(i)));
      (await watched.client(services().mongoUri)).on('commandStarted', (command) => {
        if (command.commandName === 'find' && command.command.find === 'audit_events') commands.push({ name: 'find', batchSize: command.command.batchSize as number });
        if (command.commandName === 'getMore' && command.command.collection === 'audit_events') commands.push({ name: 'getMore', batchSize: command.command.batchSize as number });
      });
      expect(await repository.verifyAppAuditChain('chainy')).toEqual({ valid: true, count: 42 });
      // One cursor, read 5 entries at a time: one find and a getMore per further batch.
      expect(commands[0]).toEqual({ name: 'find', batchSize: 5 });
      expect(commands.filter((c) => c.name === 'find')).toHaveLength(1);
      expect(commands.filter((c) => c.name === 'getMore').length).toBeGreaterThanOrEqual(8);

      // Tampered in the store: an entry's content (its hash no longer matches), in the 3rd batch.
      const events = (await watched.dbFor('chainy')).collection('audit_events');
      await events.updateOne({ app_id: 'chainy', seq: 13 }, { $set: { 'actor.actor_id': 'mallory' } });
      commands.length = 0;
      expect(await repository.verifyAppAuditChain('chainy')).toEqual({
        valid: false,
        count: 12,
        firstBroken: { seq: 13, event_id: 'audit:read:chainy:v13', reason: 'hash_mismatch' },
      });
      // It stopped there: the rest of the chain was not read.
      expect(commands.filter((c) => c.name === 'getMore').length).toBeLessThanOrEqual(3);

      // A re-hashed forgery breaks the next entry's link instead; a deleted entry leaves a gap.
      await events.updateOne({ app_id: 'chainy', seq: 13 }, { $set: { 'actor.actor_id': 'reader' } });
      expect(await repository.verifyAppAuditChain('chainy')).toEqual({ valid: true, count: 42 });
      await events.updateOne({ app_id: 'chainy', seq: 30 }, { $set: { hash: 'f'.repeat(64) } });
      expect(await repository.verifyAppAuditChain('chainy')).toMatchObject({ valid: false, count: 29, firstBroken: { seq: 30, reason: 'hash_mismatch' } });
      await events.deleteOne({ app_id: 'chainy', seq: 30 });
      expect(await repository.verifyAppAuditChain('chainy')).toMatchObject({ valid: false, count: 29, firstBroken: { seq: 31, reason: 'seq_gap' } });
      expect(await new AuditRepository(watched).verifyAppAuditChain('empty')).toEqual({ valid: true, count: 0 });
    } finally {
      await (await watched.dbFor('chainy')).dropDatabase();
      await watched.close();
    }
  });
});
