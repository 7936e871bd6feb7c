/**
 * Security of the HTTP API over real HTTP, against real Temporal, FerretDB, Redis and the offline
 * model: runtime tokens that must be refused, tenancy (another app's key, another chat's token,
 * a rotated key), which credential reaches which routes, and `X-Tessera-Actor` verified against a
 * real JWKS endpoint. Every refusal is in the documented error shape and carries nothing of the
 * other tenant.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_TOKEN_AUDIENCE, RUNTIME_TOKEN_ISSUER } from '../../src/api/auth/runtime-token';
import { AuditRepository } from '../../src/stores/audit-repository';
import { readErrorBody } from '../support/api-errors';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startJwksServer, type JwksServer } from '../support/jwks-server';

interface Session {
  chat_id: string;
  runtime_token: string;
}

let stack: ApiStack;
let keyA: string;
let keyB: string;
/** Alice's chat in app sec-a holds a message whose text must never reach anyone else. */
let alice: Session;
let bob: Session;
let carol: Session;
const ALICE = 'alice-42';
const SECRET = 'alice-secret-7f3a9c';

beforeAll(async () => {
  stack = await startApiStack({ label: 'security' });
  keyA = await stack.createApp('sec-a', { tier: 'pro' });
  keyB = await stack.createApp('sec-b', { tier: 'pro' });
  alice = await openSession(keyA, ALICE);
  bob = await openSession(keyA, 'bob-17');
  carol = await openSession(keyB, 'carol-9');
  const sent = await stack.call('POST', `/v1/chats/${alice.chat_id}/messages`, { key: alice.runtime_token, body: { content: SECRET } });
  expect(sent.status).toBe(200);
});

afterAll(async () => {
  await stack?.close();
});

async function openSession(key: string, userId: string, chatId?: string): Promise<Session> {
  const response = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: userId, ...(chatId ? { chat_id: chatId } : {}) } });
  expect(response.status).toBe(200);
  return (await response.json()) as Session;
}

/** Asserts `response` is the error `status`/`code` in the documented shape and carries none of `forbidden`. */
async function expectRefused(response: Response, status: number, code: string, forbidden: string[] = []): Promise<void> {
  const { body, text } = await readErrorBody(response);
  expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
  for (const secret of forbidden) expect(text).not.toContain(secret);
}

/** Every route that reaches one chat (the live events too), with a body each accepts. */
function chatRequests(chatId: string): { method: string; path: string; body?: unknown }[] {
  return [
    { method: 'GET', path: `/v1/chats/${chatId}` },
    { method: 'GET', path: `/v1/chats/${chatId}/messages` },
    { method: 'POST', path: `/v1/chats/${chatId}/messages`, body: { content: 'let me in' } },
    { method: 'POST', path: `/v1/chats/${chatId}/cancel`, body: {} },
    { method: 'POST', path: `/v1/chats/${chatId}/close`, body: {} },
    { method: 'GET', path: `/v1/chats/${chatId}/events` },
  ];
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A runtime token crafted outside the server: right by default, each option makes it wrong. */
async function craftRuntimeToken(options: {
  secret?: string;
  alg?: 'HS256' | 'HS512';
  issuer?: string;
  audience?: string;
  issuedAt?: number;
  expiresAt?: number;
  claims?: Record<string, unknown>;
} = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const issuedAt = options.issuedAt ?? now;
  return new SignJWT(options.claims ?? { app_id: 'sec-a', user_id: ALICE, chat_id: alice.chat_id })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? RUNTIME_TOKEN_ISSUER)
    .setAudience(options.audience ?? RUNTIME_TOKEN_AUDIENCE)
    .setSubject(ALICE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(options.expiresAt ?? issuedAt + 300)
    .sign(new TextEncoder().encode(options.secret ?? stack.secrets.jwtSecret));
}

describe('runtime tokens', () => {
  it('refuses a missing or malformed credential with 401 and WWW-Authenticate', async () => {
    const [, payload, signature] = alice.runtime_token.split('.');
    const tampered = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), chat_id: bob.chat_id })}.${signature}`;
    const headers: (string | undefined)[] = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from('sec-a:password').toString('base64')}`,
      `Token ${alice.runtime_token}`,
      'Bearer not-a-token',
      'Bearer a.b.c',
      'Bearer ..',
      `Bearer ${alice.runtime_token.slice(0, -4)}`,
      `Bearer ${alice.runtime_token} extra`,
      `Bearer ${tampered}`,
      `Bearer ${'x'.repeat(9000)}`,
      `Bearer tsk.sec-a.${'A'.repeat(43)}`,
      `Bearer tsk.no-such-app.${'A'.repeat(43)}`,
    ];
    for (const authorization of headers) {
      const response = await stack.call('GET', `/v1/chats/${alice.chat_id}/messages`, { headers: authorization === undefined ? {} : { authorization } });
      expect(response.headers.get('www-authenticate'), `Authorization: ${authorization?.slice(0, 60)}`).toBe('Bearer');
      await expectRefused(response, 401, 'unauthorized', [SECRET, ALICE]);
    }
  });

  it('accepts a token crafted with the server secret and the right claims (the control for the refusals below)', async () => {
    const response = await stack.call('GET', `/v1/chats/${alice.chat_id}/messages`, { key: await craftRuntimeToken() });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(SECRET);
  });

  it('refuses expired, wrongly signed, alg none, other-algorithm, wrong-audience, wrong-issuer and too-old tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const goodClaims = { app_id: 'sec-a', user_id: ALICE, chat_id: alice.chat_id, iss: RUNTIME_TOKEN_ISSUER, aud: RUNTIME_TOKEN_AUDIENCE, sub: ALICE, iat: now, exp: now + 300 };
    const [goodHeader, , goodSignature] = (await craftRuntimeToken()).split('.');
    const tokens: Record<string, string> = {
      expired: await craftRuntimeToken({ issuedAt: now - 600, expiresAt: now - 60 }),
      'signed with another secret': await craftRuntimeToken({ secret: 'not-the-server-secret-0123456789abcdef' }),
      'alg none, no signature': `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(goodClaims)}.`,
      'alg none, a real signature': `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(goodClaims)}.${goodSignature}`,
      'alg None': `${base64url({ alg: 'None' })}.${base64url(goodClaims)}.`,
      'HS512 with the server secret': await craftRuntimeToken({ alg: 'HS512' }),
      'unsigned claims under a good header': `${goodHeader}.${base64url(goodClaims)}.`,
      'wrong audience': await craftRuntimeToken({ audience: 'tessera-admin' }),
      'wrong issuer': await craftRuntimeToken({ issuer: 'https://evil.example' }),
      'issued too long ago': await craftRuntimeToken({ issuedAt: now - 3600, expiresAt: now + 300 }),
      'no chat claim': await craftRuntimeToken({ claims: { app_id: 'sec-a', user_id: ALICE } }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const response = await stack.call('GET', `/v1/chats/${alice.chat_id}/messages`, { key: token });
      expect(response.status, name).toBe(401);
      await expectRefused(response, 401, 'unauthorized', [SECRET]);
    }
  });
});

describe('tenancy', () => {
  it("never lets another app's key reach this app's chat (404, no data)", async () => {
    for (const request of chatRequests(alice.chat_id)) {
      const response = await stack.call(request.method, request.path, { key: keyB, body: request.body });
      await expectRefused(response, 404, 'not_found', [SECRET, ALICE, 'sec-a']);
    }
    // Listing the other app's user finds nothing in this app.
    const list = await stack.call('GET', `/v1/chats?user_id=${ALICE}`, { key: keyB });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ chats: [], next_before: null, next_cursor: null });
    // And nothing was changed: the close above did not close Alice's chat.
    const chat = await stack.call('GET', `/v1/chats/${alice.chat_id}`, { key: keyA });
    expect(await chat.json()).toMatchObject({ status: 'active', turn_count: 1 });
  });

  it("answers another chat's runtime token with 404 and audits the refusal in the caller's app", async () => {
    const audit = new AuditRepository(stack.kit.mongo);
    const before = (await audit.listAppEvents('sec-a', { limit: 10_000 })).length;
    const requestIds: string[] = [];
    for (const request of chatRequests(alice.chat_id)) {
      const response = await stack.call(request.method, request.path, { key: bob.runtime_token, body: request.body });
      requestIds.push(response.headers.get('x-request-id') ?? '');
      await expectRefused(response, 404, 'not_found', [SECRET, ALICE]);
    }
    const listed = await stack.call('GET', `/v1/chats?user_id=${ALICE}`, { key: bob.runtime_token });
    await expectRefused(listed, 404, 'not_found', [SECRET, alice.chat_id]);

    const refusals = (await audit.listAppEvents('sec-a', { limit: 10_000 })).slice(before).filter((event) => event.outcome === 'failure');
    const onChat = refusals.filter((event) => event.resource.type === 'chat' && event.resource.id === alice.chat_id);
    expect(onChat.map((event) => event.details?.request_id)).toEqual(requestIds);
    for (const event of onChat) {
      expect(event.actor).toMatchObject({ actor_id: 'bob-17', app_id: 'sec-a', via: 'runtime_token', roles: ['user'] });
      expect(event.details).toMatchObject({ reason: 'runtime token is scoped to another chat' });
    }
    expect(refusals.find((event) => event.resource.type === 'user')).toMatchObject({
      resource: { type: 'user', id: ALICE },
      actor: { actor_id: 'bob-17', via: 'runtime_token' },
      details: { route: '/v1/chats', method: 'GET' },
    });
    expect(await audit.verifyAppAuditChain('sec-a')).toMatchObject({ valid: true });
  });

  it("audits a token of another app in the token's own app, never in the target's", async () => {
    const audit = new AuditRepository(stack.kit.mongo);
    const response = await stack.call('GET', `/v1/chats/${alice.chat_id}`, { key: carol.runtime_token });
    await expectRefused(response, 404, 'not_found', [SECRET, ALICE]);
    const requestId = response.headers.get('x-request-id');
    const inB = await audit.listAppEvents('sec-b', { limit: 10_000 });
    expect(inB.find((event) => event.details?.request_id === requestId)).toMatchObject({
      outcome: 'failure',
      actor: { actor_id: 'carol-9', app_id: 'sec-b' },
      resource: { type: 'chat', id: alice.chat_id },
    });
    const inA = await audit.listAppEvents('sec-a', { limit: 10_000 });
    expect(inA.filter((event) => event.details?.request_id === requestId)).toEqual([]);
  });

  it("refuses a session on another user's chat without issuing a token", async () => {
    const response = await stack.call('POST', '/v1/sessions', { key: keyA, body: { template: 'assistant', user_id: 'bob-17', chat_id: alice.chat_id } });
    const { text } = await readErrorBody(response);
    expect(response.status).toBe(404);
    expect(text).not.toContain('runtime_token');
    expect(text).not.toContain(ALICE);
  });

  it('refuses a rotated app key with 401', async () => {
    const oldKey = await stack.createApp('sec-c');
    const session = await openSession(oldKey, 'dave-1');
    const rotated = await stack.call('POST', '/v1/apps/sec-c/keys/rotate', { key: stack.adminKey });
    expect(rotated.status).toBe(200);
    const newKey = ((await rotated.json()) as { api_key: string }).api_key;
    for (const request of [...chatRequests(session.chat_id), { method: 'POST', path: '/v1/sessions', body: { template: 'assistant', user_id: 'dave-1' } }]) {
      const response = await stack.call(request.method, request.path, { key: oldKey, body: request.body });
      await expectRefused(response, 401, 'unauthorized');
    }
    expect((await stack.call('GET', `/v1/chats/${session.chat_id}`, { key: newKey })).status).toBe(200);
  });

  it('forbids app keys and runtime tokens on admin routes (403) and changes nothing', async () => {
    const adminRequests = [
      { method: 'GET', path: '/v1/apps' },
      { method: 'PATCH', path: '/v1/apps/sec-a', body: { paused: true } },
      { method: 'POST', path: '/v1/ops/apps/sec-a/throttle', body: { factor: 0.5, minutes: 5, reason: 'intruder' } },
      { method: 'POST', path: '/v1/apps/sec-a/keys/rotate' },
      { method: 'POST', path: '/v1/apps', body: { app_id: 'sec-intruder', name: 'intruder' } },
    ];
    for (const key of [keyA, alice.runtime_token]) {
      for (const request of adminRequests) {
        const response = await stack.call(request.method, request.path, { key, body: request.body });
        await expectRefused(response, 403, 'forbidden', ['key_digest', 'limits', 'tier', 'api_key', 'sec-b']);
      }
    }
    // A runtime token reads no app; an app key reads its own app only (another app is not found).
    await expectRefused(await stack.call('GET', '/v1/apps/sec-a', { key: alice.runtime_token }), 403, 'forbidden', ['key_digest', 'limits']);
    await expectRefused(await stack.call('GET', '/v1/apps/sec-b', { key: keyA }), 404, 'not_found', ['key_digest', 'limits', 'tier']);
    // Nothing happened: sec-a is not paused nor throttled and its key was not rotated; no app was created.
    const app = await stack.call('GET', '/v1/apps/sec-a', { key: stack.adminKey });
    expect(await app.json()).toMatchObject({ paused: false, ops: { state: 'running' } });
    expect((await stack.call('GET', `/v1/chats/${alice.chat_id}`, { key: keyA })).status).toBe(200);
    expect((await stack.call('GET', '/v1/apps/sec-intruder', { key: stack.adminKey })).status).toBe(404);
  });

  it('forbids the admin key on chat writes (403) and reads nothing without the app named (400), no data', async () => {
    const requests = [
      ...chatRequests(alice.chat_id),
      { method: 'GET', path: `/v1/chats?user_id=${ALICE}` },
      { method: 'POST', path: '/v1/sessions', body: { template: 'assistant', user_id: ALICE } },
    ];
    for (const request of requests) {
      const response = await stack.call(request.method, request.path, { key: stack.adminKey, body: request.body });
      // The admin reads a chat only naming its app (`app_id`, read-only, audited: chat-api.test.ts).
      if (request.method === 'GET') await expectRefused(response, 400, 'invalid_request', [SECRET]);
      else await expectRefused(response, 403, 'forbidden', [SECRET]);
    }
  });
});

describe('X-Tessera-Actor', () => {
  const ISSUER = 'https://idp.example/realms/test';
  const AUDIENCE = 'tessera-app';
  let idp: JwksServer;
  let key: string;
  let session: Session;

  beforeAll(async () => {
    idp = await startJwksServer();
    key = await stack.createApp('sec-idp', { tier: 'pro' });
    const patched = await stack.call('PATCH', '/v1/apps/sec-idp', {
      key: stack.adminKey,
      body: { identity_provider: { jwks_url: idp.jwksUrl, issuer: ISSUER, audience: AUDIENCE } },
    });
    expect(patched.status).toBe(200);
    session = await openSession(key, 'kc-user-1');
  });

  afterAll(async () => {
    await idp?.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const actorClaims = (extra: Record<string, unknown> = {}) => ({
    sub: 'kc-user-1',
    email: 'kc.user@example.com',
    realm_access: { roles: ['agent', 'supervisor'] },
    tenant: 'acme-eu',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 300,
    ...extra,
  });

  async function turnAuditFor(chatId: string, requestId: string | null) {
    const events = await new AuditRepository(stack.kit.mongo).listAppEvents('sec-idp', { limit: 10_000 });
    return events.filter((event) => event.resource.type === 'chat_message' && event.details?.chat_id === chatId && event.actor.request_id === requestId);
  }

  it('names the actor of a turn from a valid token: sub, email, Keycloak realm roles, tenant', async () => {
    const response = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, {
      key,
      body: { content: 'on behalf of a person' },
      headers: { 'x-tessera-actor': await idp.sign(actorClaims()) },
    });
    expect(response.status).toBe(200);
    const events = await turnAuditFor(session.chat_id, response.headers.get('x-request-id'));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event.actor).toEqual({
        actor_id: 'kc-user-1',
        email: 'kc.user@example.com',
        roles: ['agent', 'supervisor'],
        tenant: 'acme-eu',
        app_id: 'sec-idp',
        via: 'identity_provider',
        request_id: response.headers.get('x-request-id'),
      });
    }
    expect(idp.fetches()).toBeGreaterThan(0);
  });

  it('also vouches for a browser holding a runtime token (plain roles claim)', async () => {
    const response = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, {
      key: session.runtime_token,
      body: { content: 'from the browser' },
      headers: { 'x-tessera-actor': await idp.sign(actorClaims({ roles: ['viewer'], realm_access: undefined })) },
    });
    expect(response.status).toBe(200);
    const [event] = await turnAuditFor(session.chat_id, response.headers.get('x-request-id'));
    expect(event?.actor).toMatchObject({ actor_id: 'kc-user-1', roles: ['viewer'], via: 'identity_provider', tenant: 'acme-eu' });
    expect(await new AuditRepository(stack.kit.mongo).verifyAppAuditChain('sec-idp')).toMatchObject({ valid: true });
  });

  it('refuses a token signed by another key, expired, from another issuer or audience (401) and starts no turn', async () => {
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const hsToken = await new SignJWT(actorClaims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
    const tokens: Record<string, string> = {
      'another key, same kid': await idp.sign(actorClaims(), { key: otherKey }),
      'another key, unknown kid': await idp.sign(actorClaims(), { key: otherKey, kid: 'attacker-key' }),
      expired: await idp.sign(actorClaims({ iat: now() - 600, exp: now() - 60 })),
      'another issuer': await idp.sign(actorClaims({ iss: 'https://evil.example/realms/test' })),
      'another audience': await idp.sign(actorClaims({ aud: 'some-other-client' })),
      'no subject': await idp.sign(actorClaims({ sub: undefined })),
      'alg none': `${base64url({ alg: 'none' })}.${base64url(actorClaims())}.`,
      'HS256 (symmetric)': hsToken,
      garbage: 'not.a.jwt',
    };
    const transcript = async () => ((await (await stack.call('GET', `/v1/chats/${session.chat_id}/messages?limit=200`, { key })).json()) as { messages: unknown[] }).messages.length;
    const before = await transcript();
    for (const [name, token] of Object.entries(tokens)) {
      const response = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key, body: { content: `refused: ${name}` }, headers: { 'x-tessera-actor': token } });
      expect(response.status, name).toBe(401);
      await expectRefused(response, 401, 'unauthorized');
    }
    expect(await transcript()).toBe(before);
  });

  it('answers 400 when the app has no identity provider', async () => {
    const response = await stack.call('GET', `/v1/chats/${alice.chat_id}`, { key: keyA, headers: { 'x-tessera-actor': await idp.sign(actorClaims()) } });
    await expectRefused(response, 400, 'identity_provider_not_configured', [SECRET]);
  });
});
