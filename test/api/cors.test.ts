/**
 * Browser access over real HTTP (README "Browser access (CORS)"): `allowed_origins` validated and
 * stored with the app; preflights on the browser routes answered from memory for an origin some app
 * allows; the actual request decided by the runtime token's own app; no CORS on app-key and admin
 * routes; the WebSocket upgrade refused (403) for an origin the token's app does not allow; and a
 * change made through one API process seen by another (two API processes on one Redis).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { CORS_MAX_AGE_SECONDS } from '../../src/api/cors';
import type { ApiProcess } from '../support/api-process';
import type { ApiStack } from '../support/api-stack';
import { startReplicatedStack, type ReplicatedStack } from '../support/replicated-stack';

const ORIGIN_A = 'https://app-a.example';
const NOBODY = 'https://evil.example';

let replicated: ReplicatedStack;
let stack: ApiStack;
let replicas: [ApiProcess, ApiProcess];
let keyA: string;
let keyB: string;
let sessionA: Session;
let sessionB: Session;

interface Session {
  chat_id: string;
  runtime_token: string;
  sse_url: string;
  ws_url: string;
}

beforeAll(async () => {
  replicated = await startReplicatedStack({ label: 'cors', tokenLatencyMs: 1 });
  ({ stack, replicas } = replicated);
  keyA = await stack.createApp('cors-a', { allowed_origins: [ORIGIN_A] });
  // The development form: any port on localhost.
  keyB = await stack.createApp('cors-b', { allowed_origins: ['http://localhost:*'] });
  sessionA = await openSession(stack.url, keyA, 'ua');
  sessionB = await openSession(stack.url, keyB, 'ub');
}, 180_000);

afterAll(async () => {
  await replicated?.close();
});

async function openSession(base: string, key: string, userId: string): Promise<Session> {
  const response = await fetch(`${base}/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'assistant', user_id: userId }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Session;
}

function preflight(base: string, path: string, origin: string, method = 'POST', headers = 'authorization,content-type'): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
}

function get(base: string, path: string, credential: string | undefined, origin?: string): Promise<Response> {
  return fetch(`${base}${path}`, {
    headers: { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...(origin ? { origin } : {}) },
  });
}

const varyOf = (response: Response) => (response.headers.get('vary') ?? '').toLowerCase().split(/,\s*/);

/** The HTTP status of a WebSocket upgrade (101 when it opened). */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.close();
    });
    socket.on('error', (error) => reject(error));
  });
}

describe('allowed_origins', () => {
  it('accepts exact origins in canonical form and the localhost development form', async () => {
    const response = await stack.call('POST', '/v1/apps', {
      key: stack.adminKey,
      body: { app_id: 'cors-valid', name: 'v', allowed_origins: ['https://App.Example.COM', 'https://app.example.com:443', 'http://shop.example:8080', 'http://127.0.0.1:*', 'http://[::1]:3000'] },
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { allowed_origins: string[] };
    expect(created.allowed_origins).toEqual(['https://app.example.com', 'http://shop.example:8080', 'http://127.0.0.1:*', 'http://[::1]:3000']);
    const read = (await (await stack.call('GET', '/v1/apps/cors-valid', { key: stack.adminKey })).json()) as { allowed_origins: string[] };
    expect(read.allowed_origins).toEqual(created.allowed_origins);
    // An app created without the field allows none.
    await stack.createApp('cors-none');
    const none = (await (await stack.call('GET', '/v1/apps/cors-none', { key: stack.adminKey })).json()) as { allowed_origins: string[] };
    expect(none.allowed_origins).toEqual([]);
  });

  it.each([
    ['a path', 'https://app.example.com/chat'],
    ['a trailing slash', 'https://app.example.com/'],
    ['a query', 'https://app.example.com?x=1'],
    ['a fragment', 'https://app.example.com#top'],
    ['user info', 'https://user:pw@app.example.com'],
    ['another scheme', 'ftp://app.example.com'],
    ['a wildcard host', 'https://*.example.com'],
    ['a bare wildcard', '*'],
    ['a wildcard port elsewhere', 'https://localhost:*'],
    ['no scheme', 'app.example.com'],
    ['a port out of range', 'https://app.example.com:70000'],
    ['the null origin', 'null'],
  ])('refuses %s', async (_label, origin) => {
    const response = await stack.call('PATCH', '/v1/apps/cors-valid', { key: stack.adminKey, body: { allowed_origins: [origin] } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('caps the list at 50 and a PATCH replaces it', async () => {
    const many = Array.from({ length: 51 }, (_, index) => `https://site${index}.example`);
    expect((await stack.call('PATCH', '/v1/apps/cors-valid', { key: stack.adminKey, body: { allowed_origins: many } })).status).toBe(400);
    const fifty = await stack.call('PATCH', '/v1/apps/cors-valid', { key: stack.adminKey, body: { allowed_origins: many.slice(0, 50) } });
    expect(fifty.status).toBe(200);
    expect(((await fifty.json()) as { allowed_origins: string[] }).allowed_origins).toHaveLength(50);
    const cleared = await stack.call('PATCH', '/v1/apps/cors-valid', { key: stack.adminKey, body: { allowed_origins: [] } });
    expect(((await cleared.json()) as { allowed_origins: string[] }).allowed_origins).toEqual([]);
  });
});

describe('preflight', () => {
  it('answers a browser route for an origin some app allows, with what a page needs', async () => {
    const response = await preflight(stack.url, `/v1/chats/${sessionA.chat_id}/messages`, ORIGIN_A);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    expect(varyOf(response)).toContain('origin');
    expect(response.headers.get('access-control-allow-methods')?.split(', ')).toContain('POST');
    const allowedHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(', ');
    expect(allowedHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'last-event-id']));
    expect(response.headers.get('access-control-max-age')).toBe(String(CORS_MAX_AGE_SECONDS));
    expect(response.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('retry-after');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();

    // The SSE route (resume header) and the any-port development form.
    const events = await preflight(stack.url, `/v1/chats/${sessionB.chat_id}/events`, 'http://localhost:4321', 'GET', 'last-event-id');
    expect(events.status).toBe(204);
    expect(events.headers.get('access-control-allow-origin')).toBe('http://localhost:4321');
    for (const path of ['/v1/chats', `/v1/chats/${sessionA.chat_id}`, `/v1/chats/${sessionA.chat_id}/cancel`, `/v1/chats/${sessionA.chat_id}/close`]) {
      const method = path.endsWith('cancel') || path.endsWith('close') ? 'POST' : 'GET';
      expect((await preflight(stack.url, path, ORIGIN_A, method)).headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    }
  });

  it('grants nothing to an origin no app allows, nor a method the route does not answer', async () => {
    for (const response of [
      await preflight(stack.url, `/v1/chats/${sessionA.chat_id}/messages`, NOBODY),
      await preflight(stack.url, `/v1/chats/${sessionA.chat_id}/messages`, 'http://127.0.0.1:5173'),
      await preflight(stack.url, `/v1/chats/${sessionA.chat_id}/messages`, ORIGIN_A, 'DELETE'),
    ]) {
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
      expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    }
  });

  it('never answers CORS on app-key, admin and open routes', async () => {
    for (const [path, method] of [
      ['/v1/sessions', 'POST'],
      ['/v1/apps', 'POST'],
      ['/v1/apps/cors-a', 'PATCH'],
      ['/v1/packs', 'GET'],
      ['/v1/analytics/cost', 'GET'],
      ['/v1/audit', 'GET'],
      ['/api/health', 'GET'],
      ['/metrics', 'GET'],
    ] as const) {
      const response = await preflight(stack.url, path, ORIGIN_A, method);
      expect({ path, acao: response.headers.get('access-control-allow-origin') }).toEqual({ path, acao: null });
      expect(response.status).toBe(204);
      expect(response.headers.get('allow')).toContain(method);
    }
    expect((await preflight(stack.url, '/v1/no-such-route', ORIGIN_A)).status).toBe(404);
  });

  it('answers from memory: a hundred preflights take no store round trip each', async () => {
    const started = performance.now();
    for (let index = 0; index < 100; index++) {
      const response = await preflight(stack.url, `/v1/chats/${sessionA.chat_id}/messages`, ORIGIN_A);
      expect(response.status).toBe(204);
    }
    // Loopback HTTP only: well under what 100 Redis or MongoDB reads on top would add on a busy machine.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('actual requests', () => {
  it("grant the origin only to a runtime token whose app allows it", async () => {
    const chatPath = (session: Session) => `/v1/chats/${session.chat_id}`;
    const allowed = await get(stack.url, chatPath(sessionA), sessionA.runtime_token, ORIGIN_A);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    expect(allowed.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('retry-after');
    expect(varyOf(allowed)).toContain('origin');

    // App B allows localhost, app A does not: A's token from a localhost page is refused, and the
    // other way round; the refusal carries no CORS grant (the page cannot even read it).
    for (const [session, origin, appId] of [
      [sessionA, 'http://localhost:5173', 'cors-a'],
      [sessionB, ORIGIN_A, 'cors-b'],
    ] as const) {
      const refused = await get(stack.url, chatPath(session), session.runtime_token, origin);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('origin_not_allowed');
      expect(body.error.message).toContain(appId);
    }
    // A POST with the wrong origin is refused before it does anything.
    const post = await fetch(`${stack.url}/v1/chats/${sessionB.chat_id}/messages?wait=false`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sessionB.runtime_token}`, origin: ORIGIN_A, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hello' }),
    });
    expect(post.status).toBe(403);
    const transcript = (await (await get(stack.url, `/v1/chats/${sessionB.chat_id}/messages`, keyB)).json()) as { messages: unknown[] };
    expect(transcript.messages).toEqual([]);
    // Each refusal is in the token's own app's audit log: who tried, from where.
    const audit = (await (await get(stack.url, '/v1/audit?outcome=failure&resource_type=route', keyB)).json()) as {
      entries: { actor: { actor_id: string }; details?: Record<string, unknown> }[];
    };
    expect(audit.entries.map((entry) => [entry.actor.actor_id, entry.details?.reason])).toContainEqual(['ub', `origin ${ORIGIN_A} not allowed`]);

    // A server (no Origin) is unaffected; so is the API's own origin.
    const server = await get(stack.url, chatPath(sessionA), sessionA.runtime_token);
    expect(server.status).toBe(200);
    expect(server.headers.get('access-control-allow-origin')).toBeNull();
    expect((await get(stack.url, chatPath(sessionA), keyA, stack.url)).status).toBe(200);
  });

  it('grant the origin on error answers of an allowed token, and on a 401 for an origin some app allows', async () => {
    const otherChat = await get(stack.url, '/v1/chats/c_not_this_one', sessionA.runtime_token, ORIGIN_A);
    expect(otherChat.status).toBe(404);
    expect(otherChat.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    const invalid = await fetch(`${stack.url}/v1/chats/${sessionA.chat_id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sessionA.runtime_token}`, origin: ORIGIN_A, 'content-type': 'application/json' },
      body: JSON.stringify({ content: '' }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    const expired = await get(stack.url, `/v1/chats/${sessionA.chat_id}`, 'x.y.z', ORIGIN_A);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    expect(expired.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('www-authenticate');
    expect((await get(stack.url, `/v1/chats/${sessionA.chat_id}`, 'x.y.z', NOBODY)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuse an app key from a page, and never answer CORS on app-key or admin routes', async () => {
    const appKeyFromPage = await get(stack.url, `/v1/chats/${sessionA.chat_id}`, keyA, ORIGIN_A);
    expect(appKeyFromPage.status).toBe(403);
    expect(appKeyFromPage.headers.get('access-control-allow-origin')).toBeNull();
    expect((await get(stack.url, `/v1/chats/${sessionA.chat_id}`, stack.adminKey, ORIGIN_A)).headers.get('access-control-allow-origin')).toBeNull();

    const sessions = await fetch(`${stack.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, origin: ORIGIN_A, 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'assistant', user_id: 'ua' }),
    });
    expect(sessions.status).toBe(200);
    expect(sessions.headers.get('access-control-allow-origin')).toBeNull();
    for (const [path, credential] of [
      ['/v1/apps/cors-a', stack.adminKey],
      ['/v1/packs', keyA],
      ['/api/health', undefined],
      ['/v1/apps/cors-a', undefined],
    ] as const) {
      const response = await get(stack.url, path, credential, ORIGIN_A);
      expect({ path, status: response.status < 500, acao: response.headers.get('access-control-allow-origin') }).toEqual({ path, status: true, acao: null });
    }
  });

  it('stream SSE to an allowed page with the token in the query, and refuse another origin', async () => {
    const url = `${sessionA.sse_url}?access_token=${encodeURIComponent(sessionA.runtime_token)}`;
    const abort = new AbortController();
    const live = await fetch(url, { headers: { origin: ORIGIN_A, accept: 'text/event-stream' }, signal: abort.signal });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(live.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    expect(varyOf(live)).toContain('origin');
    abort.abort();
    const head = await fetch(url, { method: 'HEAD', headers: { origin: ORIGIN_A } });
    expect(head.status).toBe(200);
    expect(head.headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
    const refused = await fetch(url, { headers: { origin: 'http://localhost:3000' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('WebSocket origin check', () => {
  it('refuses an upgrade from an origin the token app does not allow with 403; servers are unaffected', async () => {
    const url = `${sessionA.ws_url}?access_token=${encodeURIComponent(sessionA.runtime_token)}`;
    expect(await upgradeStatus(url, 'http://localhost:5173')).toBe(403);
    expect(await upgradeStatus(url, NOBODY)).toBe(403);
    expect(await upgradeStatus(url, ORIGIN_A)).toBe(101);
    expect(await upgradeStatus(url)).toBe(101);
    // B's token from the origin A allows; an app key from a page.
    expect(await upgradeStatus(`${sessionB.ws_url}?access_token=${encodeURIComponent(sessionB.runtime_token)}`, ORIGIN_A)).toBe(403);
    expect(await upgradeStatus(`${sessionA.ws_url}?access_token=${encodeURIComponent(keyA)}`, ORIGIN_A)).toBe(403);
    expect(await upgradeStatus(`${sessionA.ws_url}?access_token=${encodeURIComponent(keyA)}`)).toBe(101);
  });
});

describe('across API processes', () => {
  it('a change through one process holds on another at once for requests, within moments for preflights', async () => {
    const [one, two] = replicas;
    const key = await stack.createApp('cors-moving', { allowed_origins: ['https://old.example'] });
    const session = await openSession(one.url, key, 'um');
    const chat = `/v1/chats/${session.chat_id}`;
    await vi.waitFor(async () => expect((await preflight(two.url, chat, 'https://old.example', 'GET')).headers.get('access-control-allow-origin')).toBe('https://old.example'), { timeout: 10_000, interval: 50 });
    expect((await get(two.url, chat, session.runtime_token, 'https://old.example')).status).toBe(200);

    const patched = await fetch(`${one.url}/v1/apps/cors-moving`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowed_origins: ['https://new.example'] }),
    });
    expect(patched.status).toBe(200);
    const changedAt = Date.now();
    // The actual request follows at once, on both processes: it reads the app's state.
    for (const replica of replicas) {
      expect((await get(replica.url, chat, session.runtime_token, 'https://old.example')).status).toBe(403);
      const allowed = await get(replica.url, chat, session.runtime_token, 'https://new.example');
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://new.example');
    }
    // The preflight copy follows on the other process by pub/sub, well within the 5 s backstop.
    await vi.waitFor(async () => {
      expect((await preflight(two.url, chat, 'https://new.example', 'GET')).headers.get('access-control-allow-origin')).toBe('https://new.example');
      expect((await preflight(two.url, chat, 'https://old.example', 'GET')).headers.get('access-control-allow-origin')).toBeNull();
    }, { timeout: 5_000, interval: 20 });
    expect(Date.now() - changedAt).toBeLessThan(5_000);
    const wsOnTwo = `${two.url.replace(/^http/, 'ws')}${chat}/ws?access_token=${encodeURIComponent(session.runtime_token)}`;
    expect(await upgradeStatus(wsOnTwo, 'https://old.example')).toBe(403);
    expect(await upgradeStatus(wsOnTwo, 'https://new.example')).toBe(101);
  });

  it('rebuilds the shared origin index from MongoDB when Redis lost it', async () => {
    const [, two] = replicas;
    await stack.kit.redis.del('app-origins');
    // Any change makes every process re-read the index; finding it incomplete, one rebuilds it.
    expect((await stack.call('PATCH', '/v1/apps/cors-a', { key: stack.adminKey, body: { name: 'A' } })).status).toBe(200);
    await vi.waitFor(async () => expect(await stack.kit.redis.hget('app-origins', 'cors-b')).toBe(JSON.stringify(['http://localhost:*'])), { timeout: 10_000, interval: 50 });
    for (const base of [stack.url, two.url]) {
      await vi.waitFor(async () => {
        expect((await preflight(base, `/v1/chats/${sessionB.chat_id}/messages`, 'http://localhost:8080')).headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
        expect((await preflight(base, `/v1/chats/${sessionA.chat_id}/messages`, ORIGIN_A)).headers.get('access-control-allow-origin')).toBe(ORIGIN_A);
      }, { timeout: 10_000, interval: 50 });
    }
  });
});
