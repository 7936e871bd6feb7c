/**
 * The console's sessions over real HTTP on the real stack (Redis, FerretDB, Temporal): the key is
 * exchanged for an HttpOnly, SameSite=Strict cookie naming a random id that Redis keeps (never the
 * key); the cookie is taken by the public API's guard on reads, as the key would be (an app's
 * session sees only its app), and on no write; sign-out (DELETE /v1/console/session) needs the
 * session's CSRF token and the API's origin and ends the session; a rotated key ends its sessions.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
let keyA: string;

beforeAll(async () => {
  stack = await startApiStack({ label: 'console-session', noWorker: true });
  keyA = await stack.createApp('con-a');
  await stack.createApp('con-b');
});

afterAll(async () => {
  await stack?.close();
});

interface SignedIn {
  cookie: string;
  setCookie: string;
  body: { kind: string; app_id?: string; csrf_token: string; expires_at: string };
}

async function signIn(key: string, headers: Record<string, string> = {}): Promise<SignedIn> {
  const response = await stack.call('POST', '/v1/console/session', { body: { key }, headers });
  expect(response.status, await response.clone().text()).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { setCookie, cookie: setCookie.split(';')[0]!, body: (await response.json()) as SignedIn['body'] };
}

describe('console sessions', () => {
  it('exchange a key for an HttpOnly SameSite=Strict cookie of 8 hours, keeping no key in Redis', async () => {
    const admin = await signIn(stack.adminKey);
    expect(admin.body.kind).toBe('admin');
    expect(admin.setCookie).toMatch(/^tessera_console=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    const app = await signIn(keyA);
    expect(app.body).toMatchObject({ kind: 'app', app_id: 'con-a' });
    expect(app.cookie).not.toContain(keyA);
    for (const session of [admin, app]) {
      const id = session.cookie.split('=')[1]!;
      // Redis names the session by a digest of its id, and holds no key.
      expect(await stack.kit.redis.get(`console:session:${id}`)).toBeNull();
      const stored = `console:session:${createHash('sha256').update(id).digest('base64url')}`;
      const raw = (await stack.kit.redis.get(stored)) ?? '';
      expect(JSON.parse(raw)).toMatchObject({ kind: session.body.kind, csrf: session.body.csrf_token });
      expect(raw).not.toContain(keyA);
      expect(raw).not.toContain(stack.adminKey);
      expect(await stack.kit.redis.ttl(stored)).toBeGreaterThan(8 * 3600 - 60);
    }
    const me = await stack.call('GET', '/v1/console/session', { headers: { cookie: app.cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as SignedIn['body']).csrf_token).toBe(app.body.csrf_token);
  });

  it('refuse a wrong key and a sign-in from another origin', async () => {
    for (const key of ['tsk.con-a.' + 'x'.repeat(43), 'nope', stack.adminKey + 'x']) {
      const response = await stack.call('POST', '/v1/console/session', { body: { key } });
      expect(response.status, key).toBe(401);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    const port = new URL(stack.url).port;
    for (const origin of ['http://evil.example', `http://localhost:${port}`, `http://127.0.0.1:${Number(port) + 1}`, 'null']) {
      const foreign = await stack.call('POST', '/v1/console/session', { body: { key: keyA }, headers: { origin } });
      expect(foreign.status, origin).toBe(403);
      expect(foreign.headers.get('set-cookie')).toBeNull();
    }
    const fetchedCrossSite = await stack.call('POST', '/v1/console/session', { body: { key: keyA }, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(fetchedCrossSite.status).toBe(403);
    // Behind a proxy that ends TLS the page's origin is https:// and the API's own scheme http.
    const behindTls = await stack.call('POST', '/v1/console/session', { body: { key: keyA }, headers: { origin: stack.url.replace('http:', 'https:') } });
    expect(behindTls.status).toBe(200);
    const bad = await stack.call('POST', '/v1/console/session', { body: { key: keyA, extra: 1 } });
    expect(bad.status).toBe(400);
  });

  it("reads the public API as the key would: an app's session only its own app", async () => {
    const app = await signIn(keyA);
    const own = await stack.call('GET', '/v1/audit', { headers: { cookie: app.cookie } });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { app_id: string }).app_id).toBe('con-a');
    for (const path of ['/v1/audit?app_id=con-b', '/v1/audit/verify?app_id=con-b', '/v1/apps/con-b']) {
      const other = await stack.call('GET', path, { headers: { cookie: app.cookie } });
      expect([403, 404], path).toContain(other.status);
    }
    const adminOnly = await stack.call('GET', '/health/active-runs', { headers: { cookie: app.cookie } });
    expect(adminOnly.status).toBe(403);
    const admin = await signIn(stack.adminKey);
    const anyApp = await stack.call('GET', '/v1/audit/verify?app_id=con-b', { headers: { cookie: admin.cookie } });
    expect(anyApp.status).toBe(200);
    expect(await anyApp.json()).toMatchObject({ app_id: 'con-b', ok: true });
  });

  it('is no credential for a write, CSRF token or not', async () => {
    const admin = await signIn(stack.adminKey);
    const attempts: Record<string, string>[] = [{ cookie: admin.cookie }, { cookie: admin.cookie, 'x-csrf-token': admin.body.csrf_token, origin: stack.url }];
    for (const headers of attempts) {
      const response = await stack.call('POST', '/v1/apps', { body: { app_id: 'con-c', name: 'c' }, headers });
      expect(response.status).toBe(401);
    }
    expect((await stack.call('GET', '/v1/apps/con-c', { key: stack.adminKey })).status).toBe(404);
  });

  it('signs out only with the CSRF token from the own origin, and the cookie then opens nothing', async () => {
    const app = await signIn(keyA);
    const noToken = await stack.call('DELETE', '/v1/console/session', { headers: { cookie: app.cookie } });
    expect(noToken.status).toBe(403);
    const crossSite = await stack.call('DELETE', '/v1/console/session', {
      headers: { cookie: app.cookie, 'x-csrf-token': app.body.csrf_token, origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: app.cookie } })).status).toBe(200);
    const out = await stack.call('DELETE', '/v1/console/session', {
      headers: { cookie: app.cookie, 'x-csrf-token': app.body.csrf_token, origin: stack.url },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^tessera_console=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: app.cookie } })).status).toBe(401);
    expect((await stack.call('GET', '/v1/console/session', { headers: { cookie: app.cookie } })).status).toBe(401);
  });

  it('ends when the app key it signed in with is rotated', async () => {
    const app = await signIn(keyA);
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: app.cookie } })).status).toBe(200);
    const rotated = await stack.call('POST', '/v1/apps/con-a/keys/rotate', { key: stack.adminKey });
    expect(rotated.status).toBe(200);
    keyA = ((await rotated.json()) as { api_key: string }).api_key;
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: app.cookie } })).status).toBe(401);
  });

  it('are in the API document at /v1/console/session, open (no bearer credential), with their statuses', async () => {
    const document = (await (await fetch(`${stack.url}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; requestBody?: unknown }>>;
    };
    const path = document.paths['/v1/console/session'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['delete', 'get', 'post']);
    for (const [method, statuses] of [['post', ['200', '400', '401', '403']], ['get', ['200', '401']], ['delete', ['204', '401', '403']]] as const) {
      expect(path?.[method]?.security, method).toEqual([]);
      expect(Object.keys(path?.[method]?.responses ?? {}), method).toEqual(expect.arrayContaining([...statuses]));
    }
    expect(path?.post?.requestBody).toBeDefined();
    expect(document.paths['/console/api/session']).toBeUndefined();
    // The old path is gone (a page path of the console now: GET only).
    expect([404, 405]).toContain((await stack.call('POST', '/console/api/session', { body: { key: keyA } })).status);
  });

  it('audits sign-in and sign-out in the caller’s own chain', async () => {
    const response = await stack.call('GET', '/v1/audit?resource_type=console_session', { key: keyA });
    const entries = ((await response.json()) as { entries: { action: string }[] }).entries;
    expect(entries.map((e) => e.action)).toContain('create');
    expect(entries.map((e) => e.action)).toContain('delete');
  });
});
