/**
 * The admin's apps routes the console's Apps page uses, over real HTTP on the real stack (FerretDB,
 * Redis, Temporal): the list of apps in cursor pages (newest first or by app id) with each app's
 * ops levers and budget; an app key reading its own app (another app: 404, audited); a throttle
 * applied by hand (the autopilot's admission lever, with an expiry, audited) and lifted; pause and
 * resume, settings, key rotation and the budget with the admin's console session (CSRF token and
 * origin checked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository } from '../../src/stores/audit-repository';
import { opsControlKeys } from '../../src/stores/ops-controls';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
const keys: Record<string, string> = {};
const IDS = ['adm-c', 'adm-a', 'adm-d', 'adm-b'];

interface AppDetail {
  app_id: string;
  tier: string;
  paused: boolean;
  allowed_origins: string[];
  limits: Record<string, number>;
  ops: { state: string; paused_by_ops: boolean; throttle_factor: number | null; throttle_expires_at: string | null; throttle_source: string | null };
  budget: { monthly_budget_usd: number | null; month_spent_usd: number };
}
interface AppList { apps: AppDetail[]; next_cursor: string | null }

beforeAll(async () => {
  stack = await startApiStack({ label: 'app-admin', noWorker: true });
  // One after the other, so creation times are in this order.
  for (const id of IDS) keys[id] = await stack.createApp(id);
});

afterAll(async () => {
  await stack?.close();
});

async function json<T>(response: Response, status = 200): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

async function pages(order: string, limit: number): Promise<{ ids: string[]; pageCount: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pageCount = 0;
  do {
    const query: string = `order=${order}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const page: AppList = await json<AppList>(await stack.call('GET', `/v1/apps?${query}`, { key: stack.adminKey }));
    expect(page.apps.length).toBeLessThanOrEqual(limit);
    ids.push(...page.apps.map((app) => app.app_id));
    cursor = page.next_cursor;
    pageCount++;
  } while (cursor && pageCount < 10);
  return { ids, pageCount };
}

async function signIn(key: string): Promise<{ cookie: string; csrf: string }> {
  const response = await stack.call('POST', '/v1/console/session', { body: { key } });
  const body = await json<{ csrf_token: string }>(response);
  return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrf_token };
}

describe('GET /v1/apps', () => {
  it('lists every app in cursor pages, newest first or by app id, each with its ops state and budget', async () => {
    const newest = await pages('newest', 3);
    expect(newest.ids).toEqual([...IDS].reverse());
    expect(newest.pageCount).toBe(2);
    const byId = await pages('app_id', 1);
    expect(byId.ids).toEqual([...IDS].sort());
    const first = await json<AppList>(await stack.call('GET', '/v1/apps', { key: stack.adminKey }));
    expect(first.next_cursor).toBeNull();
    expect(first.apps[0]).toMatchObject({
      app_id: 'adm-b',
      tier: 'free',
      paused: false,
      ops: { state: 'running', paused_by_ops: false, throttle_factor: null, throttle_expires_at: null, throttle_source: null },
      budget: { monthly_budget_usd: null, month_spent_usd: 0 },
    });
    expect(JSON.stringify(first)).not.toMatch(/api_key|key_digest/);
  });

  it('refuses a cursor it did not issue, or one of the other order, a bad limit, and any caller but the admin', async () => {
    const page = await json<AppList>(await stack.call('GET', '/v1/apps?order=app_id&limit=1', { key: stack.adminKey }));
    expect(page.next_cursor).not.toBeNull();
    for (const query of [`order=newest&cursor=${page.next_cursor}`, 'cursor=bm9wZQ', 'cursor=not*base64', 'limit=0', 'limit=201', 'order=size', 'extra=1']) {
      const response = await stack.call('GET', `/v1/apps?${query}`, { key: stack.adminKey });
      expect(response.status, query).toBe(400);
    }
    const refused = await stack.call('GET', '/v1/apps', { key: keys['adm-a'] });
    expect(refused.status).toBe(403);
  });
});

describe('GET /v1/apps/:app_id', () => {
  it("answers an app key its own app and 404 for another app, the refusal audited in the caller's chain", async () => {
    const own = await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-a', { key: keys['adm-a'] }));
    expect(own).toMatchObject({ app_id: 'adm-a', ops: { state: 'running' } });
    expect(JSON.stringify(own)).not.toMatch(/api_key|key_digest/);
    const other = await stack.call('GET', '/v1/apps/adm-b', { key: keys['adm-a'] });
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain('free');
    expect((await stack.call('GET', '/v1/apps/adm-nope', { key: keys['adm-a'] })).status).toBe(404);
    const events = await new AuditRepository(stack.kit.mongo).listAppEvents('adm-a', { limit: 1000 });
    expect(events.find((event) => event.outcome === 'failure' && event.resource.type === 'app' && event.resource.id === 'adm-b')).toBeDefined();
    // The console session of the app reads it the same way.
    const session = await signIn(keys['adm-a']!);
    expect((await stack.call('GET', '/v1/apps/adm-a', { headers: { cookie: session.cookie } })).status).toBe(200);
    expect((await stack.call('GET', '/v1/apps/adm-b', { headers: { cookie: session.cookie } })).status).toBe(404);
  });
});

describe('a throttle applied by hand', () => {
  it("sets the autopilot's throttle lever with an expiry, shows it on the app, and is lifted; both audited", async () => {
    const applied = await json<{ app_id: string; factor: number; expires_at: string }>(
      await stack.call('POST', '/v1/ops/apps/adm-c/throttle', { key: stack.adminKey, body: { factor: 0.25, minutes: 10, reason: 'noisy batch job' } }),
    );
    expect(applied).toMatchObject({ app_id: 'adm-c', factor: 0.25 });
    // The lever the admission script reads, expiring on its own.
    const key = opsControlKeys.throttle('adm-c');
    expect(await stack.kit.redis.hget(key, 'factor')).toBe('0.25');
    const ttl = await stack.kit.redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    const shown = await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-c', { key: stack.adminKey }));
    expect(shown.ops).toMatchObject({ state: 'throttled', throttle_factor: 0.25, throttle_source: 'manual' });
    expect(Date.parse(shown.ops.throttle_expires_at ?? '')).toBeLessThanOrEqual(Date.parse(applied.expires_at) + 1000);
    expect(Date.parse(shown.ops.throttle_expires_at ?? '')).toBeGreaterThan(Date.now());

    const lifted = await stack.call('DELETE', '/v1/ops/apps/adm-c/throttle', { key: stack.adminKey });
    expect(lifted.status).toBe(204);
    expect(await stack.kit.redis.exists(key)).toBe(0);
    expect((await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-c', { key: stack.adminKey }))).ops).toMatchObject({ state: 'running', throttle_factor: null });

    const entries = (await new AuditRepository(stack.kit.mongo).listAppEvents('adm-c', { limit: 1000 })).filter((event) => event.resource.type === 'ops_throttle');
    expect(entries.map((event) => event.action)).toEqual(expect.arrayContaining(['update', 'delete']));
    expect(entries.find((event) => event.action === 'update')?.details).toMatchObject({ factor: 0.25, minutes: 10, reason: 'noisy batch job' });
  });

  it('refuses a factor outside (0, 1), a bad duration, no reason, an unknown app and any caller but the admin', async () => {
    for (const body of [{ factor: 1, minutes: 5, reason: 'r' }, { factor: 0, minutes: 5, reason: 'r' }, { factor: 0.5, minutes: 0, reason: 'r' }, { factor: 0.5, minutes: 1441, reason: 'r' }, { factor: 0.5, minutes: 5 }, { factor: 0.5, minutes: 5, reason: '' }]) {
      const response = await stack.call('POST', '/v1/ops/apps/adm-c/throttle', { key: stack.adminKey, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await stack.call('POST', '/v1/ops/apps/adm-nope/throttle', { key: stack.adminKey, body: { factor: 0.5, minutes: 5, reason: 'r' } })).status).toBe(404);
    expect((await stack.call('DELETE', '/v1/ops/apps/adm-nope/throttle', { key: stack.adminKey })).status).toBe(404);
    expect((await stack.call('POST', '/v1/ops/apps/adm-c/throttle', { key: keys['adm-c'], body: { factor: 0.5, minutes: 5, reason: 'r' } })).status).toBe(403);
    expect((await stack.call('DELETE', '/v1/ops/apps/adm-c/throttle', { key: keys['adm-c'] })).status).toBe(403);
    expect(await stack.kit.redis.exists(opsControlKeys.throttle('adm-c'))).toBe(0);
  });
});

describe("the admin's console session", () => {
  it('changes settings, pauses and resumes, throttles, sets the budget and rotates a key, each with the CSRF token from the own origin', async () => {
    const admin = await signIn(stack.adminKey);
    const write = (method: string, path: string, body?: unknown, csrf = true) =>
      stack.call(method, path, { ...(body !== undefined ? { body } : {}), headers: { cookie: admin.cookie, origin: stack.url, ...(csrf ? { 'x-csrf-token': admin.csrf } : {}) } });

    expect((await write('PATCH', '/v1/apps/adm-d', { paused: true }, false)).status).toBe(403);
    expect((await write('POST', '/v1/ops/apps/adm-d/throttle', { factor: 0.5, minutes: 5, reason: 'r' }, false)).status).toBe(403);
    expect((await write('POST', '/v1/apps/adm-d/keys/rotate', undefined, false)).status).toBe(403);
    expect((await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-d', { key: stack.adminKey }))).paused).toBe(false);

    const patched = await json<AppDetail>(await write('PATCH', '/v1/apps/adm-d', { paused: true, allowed_origins: ['https://shop.example'], tier: 'pro' }));
    expect(patched).toMatchObject({ paused: true, tier: 'pro', allowed_origins: ['https://shop.example'] });
    expect((await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-d', { key: stack.adminKey }))).ops.state).toBe('paused');
    const pauseAudit = (await new AuditRepository(stack.kit.mongo).listAppEvents('adm-d', { limit: 1000 })).find((event) => event.resource.type === 'app' && event.details?.paused === true);
    expect(pauseAudit?.actor).toMatchObject({ actor_id: 'admin', via: 'admin_key' });
    expect((await json<AppDetail>(await write('PATCH', '/v1/apps/adm-d', { paused: false }))).paused).toBe(false);

    expect((await write('POST', '/v1/ops/apps/adm-d/throttle', { factor: 0.5, minutes: 5, reason: 'from the console' })).status).toBe(200);
    expect((await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-d', { key: stack.adminKey }))).ops.state).toBe('throttled');
    expect((await write('DELETE', '/v1/ops/apps/adm-d/throttle')).status).toBe(204);

    const policy = await json<{ overrides: Record<string, unknown> }>(await stack.call('GET', '/v1/ops/policies/adm-d', { key: stack.adminKey }));
    expect((await write('PUT', '/v1/ops/policies/adm-d', { ...policy.overrides, monthly_budget_usd: 12.5 })).status).toBe(200);
    expect((await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-d', { key: stack.adminKey }))).budget.monthly_budget_usd).toBe(12.5);

    const rotated = await json<{ api_key: string }>(await write('POST', '/v1/apps/adm-d/keys/rotate'));
    expect((await stack.call('GET', '/v1/apps/adm-d', { key: keys['adm-d'] })).status).toBe(401);
    expect((await stack.call('GET', '/v1/apps/adm-d', { key: rotated.api_key })).status).toBe(200);

    // Another origin is refused even with the token; creating an app is still no console write.
    const foreign = await stack.call('PATCH', '/v1/apps/adm-d', { body: { paused: true }, headers: { cookie: admin.cookie, origin: 'http://evil.example', 'x-csrf-token': admin.csrf } });
    expect(foreign.status).toBe(403);
    expect((await write('POST', '/v1/apps', { app_id: 'adm-e', name: 'e' })).status).toBe(401);
  });

  it("of an app owner changes nothing, its own app included", async () => {
    const owner = await signIn(keys['adm-a']!);
    const headers = { cookie: owner.cookie, origin: stack.url, 'x-csrf-token': owner.csrf };
    expect((await stack.call('PATCH', '/v1/apps/adm-a', { body: { paused: true }, headers })).status).toBe(403);
    expect((await stack.call('POST', '/v1/ops/apps/adm-a/throttle', { body: { factor: 0.5, minutes: 5, reason: 'r' }, headers })).status).toBe(403);
    expect((await stack.call('POST', '/v1/apps/adm-a/keys/rotate', { headers })).status).toBe(403);
    expect((await json<AppDetail>(await stack.call('GET', '/v1/apps/adm-a', { key: stack.adminKey }))).paused).toBe(false);
  });
});
