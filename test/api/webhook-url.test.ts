/**
 * `PUT /v1/apps/:app_id/webhook` answers every bad receiver URL with a clear 400 in the error shape,
 * never a 500: a host that does not resolve (whether or not private addresses are allowed), a URL
 * that is not a plain http(s) URL with a DNS name or IP address, NUL in the URL or the secret.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readErrorBody } from '../support/api-errors';
import { startApiStack, type ApiStack } from '../support/api-stack';

const SECRET = 'a-webhook-secret-of-some-length';
let stack: ApiStack;

beforeAll(async () => {
  stack = await startApiStack({ label: 'webhookurl', noWorker: true });
  await stack.createApp('hook-url');
});

afterAll(async () => {
  await stack?.close();
});

/** PUTs the webhook with the admin key, or with no credential when `key` is empty. */
async function put(body: Record<string, unknown>, key: string = stack.adminKey): Promise<{ status: number; code?: string; body: unknown }> {
  const response = await stack.call('PUT', '/v1/apps/hook-url/webhook', { ...(key ? { key } : {}), body });
  if (response.status < 400) return { status: response.status, body: await response.json() };
  const { body: error } = await readErrorBody(response);
  return { status: response.status, code: error.error.code, body: error };
}

it('refuses a host that does not resolve with 400 webhook_host_unresolved', async () => {
  for (const allow of [true, false]) {
    const answer = await put({ url: 'https://does-not-exist.invalid/hook', secret: SECRET, allow_private_addresses: allow });
    expect({ allow, status: answer.status, code: answer.code }).toEqual({ allow, status: 400, code: 'webhook_host_unresolved' });
    expect(answer.body).toMatchObject({ error: { details: { host: 'does-not-exist.invalid' } } });
  }
});

it('refuses URLs that are not a plain http(s) URL with a DNS name or IP address', async () => {
  for (const url of ['ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/x', 'http://127.0.0.1:0/x', 'http://xn--/x', 'http://-bad-.example/x', `http://${'a'.repeat(64)}.example/x`, 'not a url', '/relative']) {
    const answer = await put({ url, secret: SECRET, allow_private_addresses: true });
    expect({ url, status: answer.status, code: answer.code }).toEqual({ url, status: 400, code: 'invalid_request' });
  }
});

it('refuses NUL in the URL or the secret with 400 invalid_text', async () => {
  for (const body of [
    { url: 'http://127.0.0.1:9/hook\u0000', secret: SECRET },
    { url: 'http://127.0.0.1:9/hook?q=\u0000', secret: SECRET },
    { url: 'http://127.0.0.1:9/hook', secret: `${SECRET}\u0000` },
  ]) {
    const answer = await put({ ...body, allow_private_addresses: true });
    expect({ status: answer.status, code: answer.code }).toEqual({ status: 400, code: 'invalid_text' });
  }
});

it('accepts an IP address, and a name that resolves', async () => {
  for (const url of ['http://127.0.0.1:9/hook', 'http://[::1]:9/hook', 'http://localhost:9/hook']) {
    const answer = await put({ url, secret: SECRET, allow_private_addresses: true });
    expect({ url, status: answer.status }).toEqual({ url, status: 200 });
    expect(answer.body).toEqual({ app_id: 'hook-url', url, allow_private_addresses: true });
  }
});

it('authenticates before it looks at the URL', async () => {
  expect((await put({ url: 'https://does-not-exist.invalid/hook', secret: 'x' })).status).toBe(400);
  expect(await put({ url: 'https://does-not-exist.invalid/hook', secret: 'x' }, '')).toMatchObject({ status: 401, code: 'unauthorized' });
});
