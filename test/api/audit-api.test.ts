/**
 * The audit API over real HTTP on the real stack (Temporal dev server, FerretDB, Redis): an app key
 * reads its own app's log and the admin any app's; filters; newest-first cursor pages that neither
 * repeat nor skip an entry while entries are appended between pages; tenancy; the chain verified
 * intact, then tampered directly in the store and reported broken at that entry; 401 first.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEventInput } from '../../src/domain/audit';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
let keyA: string;
let keyB: string;
let runtimeToken: string;
const A = 'audit-a';
const B = 'audit-b';

interface Entry {
  seq: number;
  event_id: string;
  app_id: string;
  ts: string;
  actor: { actor_id: string };
  action: string;
  resource: { type: string; id: string };
  outcome: string;
  details?: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}
interface Page {
  app_id: string;
  entries: Entry[];
  next_cursor: string | null;
}
interface Verification {
  app_id: string;
  ok: boolean;
  checked: number;
  first_broken?: { seq: number; event_id: string; reason: string };
}

const at = (s: number) => new Date(Date.UTC(2025, 8, 1, 12, 0, s)).toISOString();
const entry = (appId: string, id: string, ts: string, over: Partial<AuditEventInput> = {}): AuditEventInput => ({
  event_id: `audit:apitest:${appId}:${id}`,
  app_id: appId,
  ts,
  actor: { actor_id: 'seeder', roles: ['user'], app_id: appId },
  action: 'read',
  resource: { type: 'chat', id: 'c1' },
  outcome: 'success',
  details: { note: id },
  ...over,
});
const append = (input: AuditEventInput) => stack.runtime.audit.appendAuditEvent(input);

async function get<T>(path: string, key: string | undefined): Promise<{ status: number; body: T }> {
  const response = await stack.call('GET', path, key ? { key } : {});
  return { status: response.status, body: (await response.json()) as T };
}
const list = (query: string, key = keyA) => get<Page>(`/v1/audit${query ? `?${query}` : ''}`, key);
const verify = (query: string, key = keyA) => get<Verification>(`/v1/audit/verify${query ? `?${query}` : ''}`, key);

/** Reads every page; `between` runs after each page but the last. */
async function walk(query: string, key: string, between: (page: Entry[], n: number) => Promise<void> = async () => {}): Promise<Entry[][]> {
  const pages: Entry[][] = [];
  let cursor: string | null = null;
  do {
    const { status, body } = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`, key);
    expect(status).toBe(200);
    pages.push(body.entries);
    cursor = body.next_cursor;
    if (cursor) await between(body.entries, pages.length);
  } while (cursor);
  return pages;
}

const newestFirst = (a: Entry, b: Entry) => (a.ts === b.ts ? b.seq - a.seq : a.ts < b.ts ? 1 : -1);

beforeAll(async () => {
  stack = await startApiStack({ label: 'auditapi' });
  keyA = await stack.createApp(A);
  keyB = await stack.createApp(B);
  const session = await stack.call('POST', '/v1/sessions', { key: keyA, body: { template: 'assistant', user_id: 'auditor' } });
  expect(session.status).toBe(200);
  runtimeToken = ((await session.json()) as { runtime_token: string }).runtime_token;
  // The session's own entry is written by its workflow after the answer: wait for it, so no entry
  // lands between two reads of a test below.
  await vi.waitFor(async () => expect((await list('resource_type=chat_session')).body.entries).not.toEqual([]), { timeout: 30_000, interval: 100 });
  // A: 25 entries over 10 seconds, written out of ts order (several share a second); B: entries
  // that would match every filter below but their app.
  for (let i = 0; i < 25; i++) await append(entry(A, `s${i}`, at((i * 3) % 10), i % 5 === 0 ? { actor: { actor_id: 'alice', roles: ['admin'], app_id: A }, action: 'update' } : {}));
  for (let i = 0; i < 5; i++) await append(entry(B, `s${i}`, at(i), { actor: { actor_id: 'alice', roles: ['admin'], app_id: B }, action: 'update' }));
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe('authentication and tenancy', () => {
  it('answers 401 without a credential or with a bad one, and 403 to a runtime token', async () => {
    for (const path of ['/v1/audit', '/v1/audit/verify', '/v1/audit?app_id=audit-a', `/v1/audit/verify?app_id=${A}`]) {
      for (const key of [undefined, 'not-a-credential']) {
        const { status, body } = await get<{ error: { code: string } }>(path, key);
        expect({ path, key, status, code: body.error.code }).toEqual({ path, key, status: 401, code: 'unauthorized' });
      }
      const { status, body } = await get<{ error: { code: string } }>(path, runtimeToken);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 403, code: 'forbidden' });
    }
  });

  it("reads the app key's own app only: another app is not found, and the attempt is audited", async () => {
    const own = await list('limit=500');
    expect(own.status).toBe(200);
    expect(own.body.app_id).toBe(A);
    expect(own.body.entries.length).toBeGreaterThanOrEqual(26); // the seeded ones and the app's creation
    expect(own.body.entries.every((e) => e.app_id === A)).toBe(true);
    expect(own.body.entries.some((e) => e.action === 'create' && e.resource.type === 'app' && e.resource.id === A)).toBe(true);
    const named = await list(`app_id=${A}&limit=500`);
    expect(named.body.entries.map((e) => e.event_id)).toEqual(own.body.entries.map((e) => e.event_id));

    for (const path of [`/v1/audit?app_id=${B}`, `/v1/audit/verify?app_id=${B}`, '/v1/audit?app_id=_system']) {
      const { status, body } = await get<{ error: { code: string } }>(path, keyA);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    const b = await list('limit=500', keyB);
    expect(b.body.entries.length).toBeGreaterThan(0);
    expect(b.body.entries.every((e) => e.app_id === B)).toBe(true);
    expect(b.body.entries.some((e) => e.event_id.startsWith(`audit:apitest:${A}:`))).toBe(false);
    // A's refused reach for B's log is in A's own chain, not in B's.
    const refusals = await list('outcome=failure&resource_type=app');
    expect(refusals.body.entries.some((e) => e.resource.id === B && e.details?.reason === 'audit log of another app')).toBe(true);
    expect((await list('outcome=failure', keyB)).body.entries).toEqual([]);
  });

  it('lets the admin read any app it names, and requires the name', async () => {
    const asAdmin = await list(`app_id=${B}&limit=500`, stack.adminKey);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.app_id).toBe(B);
    expect(asAdmin.body.entries.map((e) => e.event_id)).toEqual((await list('limit=500', keyB)).body.entries.map((e) => e.event_id));
    const system = await list('app_id=_system', stack.adminKey);
    expect(system.status).toBe(200);

    const unnamed = await get<{ error: { code: string } }>('/v1/audit', stack.adminKey);
    expect(unnamed).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    const unknown = await get<{ error: { code: string } }>('/v1/audit/verify?app_id=no-such-app', stack.adminKey);
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });
});

describe('GET /v1/audit', () => {
  it('filters by time, actor, action, resource and outcome', async () => {
    const ids = async (query: string) => (await list(`${query}&limit=500`)).body.entries.map((e) => e.event_id.replace(`audit:apitest:${A}:`, ''));
    // s0, s5, s10, s15, s20 are alice's updates; s_i is at second (3i mod 10).
    expect(await ids('actor=alice')).toEqual(['s15', 's5', 's20', 's10', 's0']);
    expect(await ids('action=update&actor=alice')).toEqual(['s15', 's5', 's20', 's10', 's0']);
    expect(await ids(`actor=alice&from=${at(5)}`)).toEqual(['s15', 's5']);
    expect(await ids(`actor=alice&to=${at(5)}`)).toEqual(['s20', 's10', 's0']);
    const window = await ids(`from=${at(3)}&to=${at(4)}`);
    expect(window.sort()).toEqual(['s1', 's11', 's21']); // from inclusive, to exclusive
    expect(await ids(`actor=seeder&from=${encodeURIComponent('2025-09-01T14:00:09+02:00')}`)).toEqual(['s23', 's13', 's3']); // the same instant with an offset
    expect(await ids('resource_type=chat&resource_id=c1&actor=seeder&action=read')).toHaveLength(20);
    expect(await ids(`resource_type=app&resource_id=${A}&action=create`)).toHaveLength(1);
    expect(await ids('resource_id=no-such-chat')).toEqual([]);
    expect(await ids('outcome=success&actor=nobody')).toEqual([]);
    const one = (await list('actor=alice&limit=1')).body.entries[0];
    expect(one).toMatchObject({ seq: expect.any(Number), ts: at(5), actor: { actor_id: 'alice' }, action: 'update', resource: { type: 'chat', id: 'c1' }, outcome: 'success', details: { note: 's15' } });
    expect(one?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(one?.prev_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(one).not.toHaveProperty('_id');
  });

  it('refuses a bad range, limit or cursor with 400', async () => {
    for (const [query, code] of [
      [`from=${at(5)}&to=${at(5)}`, 'invalid_request'],
      [`from=${at(6)}&to=${at(5)}`, 'invalid_request'],
      ['from=yesterday', 'invalid_request'],
      ['limit=0', 'invalid_request'],
      ['limit=501', 'invalid_request'],
      ['action=launch', 'invalid_request'],
      ['actor=%00', 'invalid_text'],
      ['cursor=not-a-cursor', 'invalid_cursor'],
      [`cursor=${Buffer.from('[1,"x",3]').toString('base64url')}`, 'invalid_cursor'],
      ['unknown=1', 'invalid_request'],
    ] as const) {
      const { status, body } = await get<{ error: { code: string } }>(`/v1/audit?${query}`, keyA);
      expect({ query, status, code: body.error.code }).toEqual({ query, status: 400, code });
    }
  });

  it('pages newest first, 50 by default, with no entry repeated or skipped while entries are appended between pages', async () => {
    // 50 by default: a third app with 60 entries and its creation takes two pages.
    const C = 'audit-c';
    await stack.createApp(C);
    for (let i = 0; i < 60; i++) await append(entry(C, `s${i}`, at(i)));
    const c1 = await list(`app_id=${C}`, stack.adminKey);
    expect(c1.body.entries).toHaveLength(50);
    expect(c1.body.next_cursor).toEqual(expect.any(String));
    const c2 = await list(`app_id=${C}&cursor=${c1.body.next_cursor}`, stack.adminKey);
    expect(c2.body.entries.map((e) => e.event_id).slice(-2)).toEqual([`audit:apitest:${C}:s1`, `audit:apitest:${C}:s0`]);
    expect(c2.body.entries).toHaveLength(11);
    expect(c2.body.next_cursor).toBeNull();

    const existing = (await list('limit=500')).body.entries;
    expect(existing.length).toBeGreaterThan(25);
    expect((await list('')).body).toEqual({ app_id: A, entries: existing, next_cursor: null });
    expect([...existing].sort(newestFirst)).toEqual(existing);

    const appended: string[] = [];
    const pages = await walk('limit=4', keyA, async (page, n) => {
      // Meanwhile: an entry written now (newest of all), one at the ts of this page's first entry
      // (a later seq: before it, in the part already read), one into the part still to read, and
      // one of B's, which A never sees.
      const read = page[0]?.ts ?? at(9);
      for (const [id, ts] of [[`now${n}`, new Date().toISOString()], [`read${n}`, read], [`unread${n}`, '2025-01-01T00:00:00.000Z']] as const) {
        appended.push((await append(entry(A, id, ts))).event_id);
      }
      await append(entry(B, `meanwhile${n}`, at(5)));
    });
    const seen = pages.flat();
    expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
    expect(new Set(seen.map((e) => e.event_id)).size).toBe(seen.length);
    expect([...seen].sort(newestFirst)).toEqual(seen);
    expect(seen.every((e) => e.app_id === A)).toBe(true);
    // Every entry that existed at the first page, exactly once and in order; of the ones appended
    // meanwhile, only those that fell into the part still to read.
    const old = new Set(existing.map((e) => e.event_id));
    expect(seen.filter((e) => old.has(e.event_id))).toEqual(existing);
    const fresh = seen.filter((e) => !old.has(e.event_id)).map((e) => e.event_id);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((id) => appended.includes(id) && id.includes(':unread'))).toBe(true);
  });
});

describe('GET /v1/audit/verify', () => {
  it('verifies an intact chain, then names the entry tampered in the store', async () => {
    const intact = await verify('');
    expect(intact.status).toBe(200);
    const total = (await list('limit=500')).body.entries.length;
    expect(intact.body).toEqual({ app_id: A, ok: true, checked: total });
    expect((await verify(`app_id=${A}`, stack.adminKey)).body).toEqual(intact.body);

    // Edit one stored entry's details directly in FerretDB, as someone with database access would.
    const events = (await stack.kit.mongo.dbFor(A)).collection('audit_events');
    const victim = await events.findOne({ app_id: A, event_id: `audit:apitest:${A}:s7` });
    expect(victim).not.toBeNull();
    const seq = victim?.seq as number;
    await events.updateOne({ app_id: A, seq }, { $set: { 'details.note': 'forged' } });
    const broken = await verify('');
    expect(broken.status).toBe(200);
    expect(broken.body).toEqual({
      app_id: A,
      ok: false,
      checked: seq - 1,
      first_broken: { seq, event_id: `audit:apitest:${A}:s7`, reason: 'hash_mismatch' },
    });
    expect((await verify(`app_id=${A}`, stack.adminKey)).body).toEqual(broken.body);
    // The tampered entry still reads (as stored), and the other app's chain is untouched.
    expect((await list(`resource_type=chat&from=${at(1)}&to=${at(2)}&actor=seeder`)).body.entries.some((e) => e.details?.note === 'forged')).toBe(true);
    expect((await verify('', keyB)).body).toMatchObject({ app_id: B, ok: true });
  });
});
