/**
 * The limits that protect the API (README "Limits"), over real HTTP against real Temporal, FerretDB
 * and Redis, on API servers of their own with small limits: body size (413), URL length (414),
 * header size (431), slow clients (408), idle connections (closed, live streams exempt), and
 * concurrent live streams per runtime token and per app (429 with Retry-After) counted in Redis
 * across replicas, with the slots of a process that died lapsing by themselves. Every refusal is
 * in the error shape, and a caller without a credential is refused as that first.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApi } from '../../src/api/server';
import type { ApiLimits } from '../../src/api/limits';
import { readErrorBody } from '../support/api-errors';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { openSse, openWs, wsRefusal } from '../support/stream-clients';

const LIMITS: Partial<ApiLimits> = {
  bodyLimitBytes: 4096,
  maxUrlBytes: 1024,
  maxHeaderBytes: 4096,
  headersTimeoutMs: 600,
  requestTimeoutMs: 1000,
  idleTimeoutMs: 1500,
  streamsPerToken: 2,
  streamsPerApp: 3,
};
const SLOT_TTL_MS = 900;

let stack: ApiStack;
let replicas: { api: FastifyInstance; url: string }[];
let appKey: string;
let base: string;

async function startReplica(): Promise<{ api: FastifyInstance; url: string }> {
  // Long heartbeats: an idle stream sends nothing for longer than the idle timeout.
  const api = await buildApi({ logLevel: 'silent', probes: [], runtime: stack.runtime, limits: LIMITS, streamSettings: { streamSlotTtlMs: SLOT_TTL_MS, heartbeatMs: 10_000 } });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  return { api, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

beforeAll(async () => {
  stack = await startApiStack({ label: 'limits', noWorker: true });
  appKey = await stack.createApp('limits-a');
  replicas = [await startReplica(), await startReplica()];
  base = replicas[0]!.url;
});

afterAll(async () => {
  for (const replica of replicas ?? []) await replica.api.close();
  await stack?.close();
});

/** Writes raw bytes on a new connection and reads what the server answers until it closes. */
function raw(url: string, chunks: string[], options: { gapMs?: number; timeoutMs?: number } = {}): Promise<{ text: string; closedAfterMs: number }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(port), '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${options.timeoutMs ?? 10_000} ms; got ${text.slice(0, 200)}`));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (data) => (text += data.toString('utf8')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (options.gapMs) await new Promise((wait) => setTimeout(wait, options.gapMs));
      }
    });
  });
}

function statusAndBody(text: string): { status: number; body: { error: { code: string } } } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
  return { status, body };
}

async function openSession(userId: string): Promise<{ chat_id: string; runtime_token: string }> {
  const response = await fetch(`${base}/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${appKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'assistant', user_id: userId }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { chat_id: string; runtime_token: string };
}

describe('sizes', () => {
  it('refuses a body over the limit with 413, after authentication', async () => {
    const body = JSON.stringify({ app_id: 'too-big', name: 'x'.repeat(5000) });
    const admin = await fetch(`${base}/v1/apps`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' }, body });
    expect({ status: admin.status, code: (await readErrorBody(admin)).body.error.code }).toEqual({ status: 413, code: 'payload_too_large' });
    const anonymous = await fetch(`${base}/v1/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect({ status: anonymous.status, code: (await readErrorBody(anonymous)).body.error.code }).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('refuses a URL over the limit with 414, on known and unknown paths alike', async () => {
    for (const path of [`/v1/chats?user_id=${'u'.repeat(1100)}`, `/v1/nowhere/${'n'.repeat(1100)}`, `/api/health?${'h'.repeat(1100)}`]) {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${appKey}` } });
      expect({ path: path.slice(0, 20), status: response.status, code: (await readErrorBody(response)).body.error.code }).toEqual({ path: path.slice(0, 20), status: 414, code: 'uri_too_long' });
    }
    const fine = await fetch(`${base}/v1/chats?user_id=${'u'.repeat(100)}`, { headers: { authorization: `Bearer ${appKey}` } });
    expect(fine.status).toBe(200);
  });

  it('refuses headers over the limit with 431 (Node answers, in the error shape)', async () => {
    const { text } = await raw(base, [`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(5000)}\r\n\r\n`]);
    expect(statusAndBody(text)).toEqual({ status: 431, body: { error: { code: 'headers_too_large', message: expect.any(String) } } });
  });
});

describe('slow clients', () => {
  it('answers 408 to a client whose headers do not arrive in time', async () => {
    const { text, closedAfterMs } = await raw(base, ['GET /api/health HTTP/1.1\r\n', 'Host: x\r\n'], { gapMs: 100 });
    expect(statusAndBody(text).status).toBe(408);
    expect(statusAndBody(text).body.error.code).toBe('request_timeout');
    expect(closedAfterMs).toBeLessThan(5000);
  });

  it('answers 408 to a client whose body does not arrive in time', async () => {
    const head = `POST /v1/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stack.adminKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const { text, closedAfterMs } = await raw(base, [head, '{"app_id":'], { gapMs: 50 });
    expect(statusAndBody(text)).toEqual({ status: 408, body: { error: { code: 'request_timeout', message: expect.any(String) } } });
    expect(closedAfterMs).toBeLessThan(5000);
  });

  it('keeps an idle live stream open past the idle timeout', async () => {
    const session = await openSession('idle-streamer');
    const sse = await openSse(`${base}/v1/chats/${session.chat_id}/events?access_token=${session.runtime_token}`);
    const ws = await openWs(`${base.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws?access_token=${session.runtime_token}`);
    expect(sse.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, (LIMITS.idleTimeoutMs ?? 0) + 1000));
    expect(sse.ended).toBe(false);
    expect(ws.ended).toBe(false);
    sse.close();
    ws.close();
  });
});

describe('live streams per token and per app', () => {
  const clients: { close(): void }[] = [];
  const closeAll = () => {
    for (const client of clients.splice(0)) client.close();
  };
  const appSlots = 'streams:app:limits-a';
  /** Every stream of the app ended and gave its slot back. */
  const settled = () => vi.waitFor(async () => expect(await stack.runtime.redis.zcard(appSlots)).toBe(0), { timeout: 5000, interval: 50 });

  /** Opens SSE on the given replica and keeps it open; answers the refusal's status and code when it is refused. */
  async function sse(replica: number, chatId: string, credential: string): Promise<{ status: number; code?: string; retryAfter?: string | null }> {
    const abort = new AbortController();
    const response = await fetch(`${replicas[replica]!.url}/v1/chats/${chatId}/events?access_token=${encodeURIComponent(credential)}`, { signal: abort.signal });
    if (response.status === 200) {
      clients.push({ close: () => abort.abort() });
      return { status: 200 };
    }
    return { status: response.status, code: (await readErrorBody(response)).body.error.code, retryAfter: response.headers.get('retry-after') };
  }

  it('refuses a runtime token its third stream, on any replica, over SSE and WebSocket, until one closes', async () => {
    await settled();
    const session = await openSession('many-tabs');
    expect((await sse(0, session.chat_id, session.runtime_token)).status).toBe(200);
    expect((await sse(1, session.chat_id, session.runtime_token)).status).toBe(200);
    for (const replica of [0, 1]) {
      expect(await sse(replica, session.chat_id, session.runtime_token)).toEqual({ status: 429, code: 'too_many_streams_for_token', retryAfter: '5' });
      expect(await wsRefusal(`${replicas[replica]!.url.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws?access_token=${session.runtime_token}`)).toBe(429);
    }
    // Another token of the same chat has slots of its own (the app has one left).
    const second = await openSession('many-tabs-2');
    expect((await sse(0, second.chat_id, second.runtime_token)).status).toBe(200);

    // Closing a stream gives its slot back.
    clients.shift()?.close();
    await vi.waitFor(async () => expect((await sse(1, session.chat_id, session.runtime_token)).status).toBe(200), { timeout: 5000, interval: 100 });
    closeAll();
  });

  it('refuses an app its fourth stream, whatever the credential', async () => {
    await settled();
    const session = await openSession('app-wide');
    expect((await sse(0, session.chat_id, appKey)).status).toBe(200);
    expect((await sse(1, session.chat_id, appKey)).status).toBe(200);
    expect((await sse(0, session.chat_id, session.runtime_token)).status).toBe(200);
    expect(await sse(1, session.chat_id, appKey)).toEqual({ status: 429, code: 'too_many_streams_for_app', retryAfter: '5' });
    expect(await sse(0, session.chat_id, session.runtime_token)).toEqual({ status: 429, code: 'too_many_streams_for_app', retryAfter: '5' });
    // Authentication still comes first.
    const anonymous = await fetch(`${base}/v1/chats/${session.chat_id}/events`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    closeAll();
  });

  it('lets the slots of a process that died lapse within the slot TTL', async () => {
    const session = await openSession('after-a-crash');
    // What a process that died while serving three streams leaves behind: slots nobody refreshes.
    const key = appSlots;
    await settled();
    const lapse = Date.now() + SLOT_TTL_MS;
    await stack.runtime.redis.zadd(key, lapse, 'dead-1', lapse, 'dead-2', lapse, 'dead-3');
    expect(await sse(0, session.chat_id, appKey)).toEqual({ status: 429, code: 'too_many_streams_for_app', retryAfter: '5' });
    await new Promise((resolve) => setTimeout(resolve, SLOT_TTL_MS + 100));
    expect((await sse(0, session.chat_id, appKey)).status).toBe(200);
    // A live stream's slot is refreshed: it outlives the TTL while open, and is gone once closed.
    await new Promise((resolve) => setTimeout(resolve, SLOT_TTL_MS * 2));
    expect(await stack.runtime.redis.zcard(key)).toBe(1);
    closeAll();
    await settled();
  });
});
