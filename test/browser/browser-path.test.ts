/**
 * The browser path in a real Chromium (Debian's, driven by playwright-core): a chat page served
 * from its own origin (`http://localhost:<page port>`) talks to the API on another origin
 * (`http://127.0.0.1:<port>`) the way a web app embedding a chat does — a runtime token its backend
 * minted, `fetch` to send, `EventSource` and `WebSocket` to stream. The API sits behind a TCP
 * proxy, so the test can cut every connection mid-reply, as a dropped network does: both streams
 * resume and the page sees every delta exactly once, in order. Pages on an origin the app does not
 * allow, and a token of another app, are refused by the browser's own CORS checks (and the
 * WebSocket upgrade by the API's 403); app-key and admin routes grant no page anything.
 *
 * Real parts only: the stack (Temporal dev server, worker, FerretDB, Redis, the offline model paced
 * per token), a real browser, a tiny node:http server for the page (test/browser/pages/chat.html).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startTcpProxy, type TcpProxy } from '../sdk/tcp-proxy';

const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`browser-path.test.ts: skipped — no Chromium at ${CHROMIUM} (scripts/install-tools.sh installs Debian's chromium; or set TESSERA_CHROMIUM)`);
}
const PAGE = fs.readFileSync(path.join(__dirname, 'pages/chat.html'), 'utf8');

interface Session {
  chat_id: string;
  runtime_token: string;
  sse_url: string;
  ws_url: string;
}

interface StreamState {
  ids: string[];
  deltas: { id: string; delta: string }[];
  opens: number;
  errors: number;
  completed: boolean;
  failed: boolean;
  closedForGood: boolean;
  closes?: number[];
}

interface CallOutcome {
  status?: number;
  body?: string;
  error?: string;
  retryAfter?: string | null;
  requestId?: string | null;
}

let model: RunningOfflineModel;
let stack: ApiStack;
let proxy: TcpProxy;
let browser: Browser;
let pages: http.Server[] = [];
/** The app's own origin (allowed for app A) and one no app allows. */
let allowedOrigin: string;
let otherAppOrigin: string;
let nobodysOrigin: string;
let keyA: string;
let keyB: string;

/** Serves the chat page at every path (a real origin of its own). */
async function servePage(): Promise<number> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pages.push(server);
  return (server.address() as AddressInfo).port;
}

describe.skipIf(!HAVE_CHROMIUM)('a web page on its own origin', () => {
  beforeAll(async () => {
    // Paced tokens: a reply streams for a few seconds, long enough to cut it in the middle.
    model = await startOfflineModel({ port: 0, tokenLatencyMs: 60 });
    stack = await startApiStack({ label: 'browser', llmBaseUrl: model.url });
    proxy = await startTcpProxy(stack.url);
    // The URLs the session broker hands out point at the proxy: that is "the API" for the page.
    stack.runtime.publicUrl = proxy.url;
    const pagePort = await servePage();
    const otherPort = await servePage();
    allowedOrigin = `http://localhost:${pagePort}`;
    otherAppOrigin = `http://127.0.0.1:${pagePort}`;
    nobodysOrigin = `http://localhost:${otherPort}`;
    keyA = await stack.createApp('web-a', { allowed_origins: [allowedOrigin] });
    keyB = await stack.createApp('web-b', { allowed_origins: [otherAppOrigin] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(pages.map((server) => new Promise((resolve) => server.close(resolve))));
    pages = [];
    await proxy?.close();
    await stack?.close();
    await model?.close();
  });

  async function openSession(key: string, userId: string): Promise<Session> {
    const response = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: userId } });
    expect(response.status).toBe(200);
    return (await response.json()) as Session;
  }

  async function openPage(origin: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${origin}/chat`);
    return page;
  }

  /** Runs an expression in the page (strings: this project's types have no DOM). */
  function inPage<T>(page: Page, expression: string): Promise<T> {
    return page.evaluate(expression) as Promise<T>;
  }

  const send = (page: Page, session: Session, content: string) =>
    inPage<CallOutcome>(page, `window.tessera.send(${JSON.stringify(proxy.url)}, ${JSON.stringify(session.chat_id)}, ${JSON.stringify(session.runtime_token)}, ${JSON.stringify(content)})`);

  const stream = (page: Page, name: string) => inPage<StreamState>(page, `JSON.parse(JSON.stringify(window.state[${JSON.stringify(name)}], (key, value) => key === 'source' ? undefined : value))`);

  async function assistantReply(session: Session, turnId: string): Promise<string> {
    const response = await stack.call('GET', `/v1/chats/${session.chat_id}/messages`, { key: keyA });
    const { messages } = (await response.json()) as { messages: { role: string; turn_id: string; content: string }[] };
    return messages.filter((message) => message.role === 'assistant' && message.turn_id === turnId).map((message) => message.content).join('');
  }

  /** Starts a stream in the page, sends a message, cuts every connection mid-reply, waits for the end. */
  async function streamThroughACut(kind: 'sse' | 'ws'): Promise<void> {
    const session = await openSession(keyA, `u-${kind}`);
    const page = await openPage(allowedOrigin);
    try {
      const url = kind === 'sse' ? session.sse_url : session.ws_url;
      expect(new URL(url).origin).not.toBe(allowedOrigin);
      // The turn id is not known before the send: watch every turn of this new chat (it has one).
      await inPage(page, `window.tessera.${kind}('live', ${JSON.stringify(url)}, ${JSON.stringify(session.runtime_token)}, null)`);
      await page.waitForFunction('window.state.live.opens >= 1', undefined, { timeout: 15_000 });
      const sent = await send(page, session, `Tell me a long story about browsers (${kind})`);
      expect(sent.error).toBeUndefined();
      expect(sent.status).toBe(202);
      const { turn_id: turnId } = JSON.parse(sent.body ?? '{}') as { turn_id: string };

      await page.waitForFunction('window.state.live.deltas.length >= 3', undefined, { timeout: 30_000 });
      const beforeCut = await stream(page, 'live');
      expect(beforeCut.completed).toBe(false);
      proxy.dropAll();

      await page.waitForFunction('window.state.live.completed || window.state.live.failed', undefined, { timeout: 60_000 });
      const after = await stream(page, 'live');
      expect(after.failed).toBe(false);
      // It reconnected after the cut, and resumed where it was: no id twice, every delta once.
      expect(after.opens).toBeGreaterThanOrEqual(2);
      expect(new Set(after.ids).size).toBe(after.ids.length);
      expect(after.deltas.length).toBeGreaterThan(beforeCut.deltas.length);
      expect(after.deltas.map((delta) => delta.delta).join('')).toBe(await assistantReply(session, turnId));
      expect(after.deltas.slice(0, beforeCut.deltas.length)).toEqual(beforeCut.deltas);
    } finally {
      await page.close();
    }
  }

  it('sends with fetch and streams over EventSource through a dropped connection, every delta once and in order', async () => {
    await streamThroughACut('sse');
  }, 120_000);

  it('streams over WebSocket through a dropped connection, every delta once and in order', async () => {
    await streamThroughACut('ws');
  }, 120_000);

  it('reads what the API answers a runtime token, errors included, and the exposed request id', async () => {
    const session = await openSession(keyA, 'u-errors');
    const page = await openPage(allowedOrigin);
    try {
      const wrongChat = await inPage<CallOutcome>(page, `window.tessera.call(${JSON.stringify(`${proxy.url}/v1/chats/c_elsewhere`)}, { headers: { authorization: 'Bearer ${session.runtime_token}' } })`);
      expect(wrongChat.status).toBe(404);
      expect(wrongChat.requestId).toBeTruthy();
      const expired = await inPage<CallOutcome>(page, `window.tessera.call(${JSON.stringify(`${proxy.url}/v1/chats/${session.chat_id}`)}, { headers: { authorization: 'Bearer a.b.c' } })`);
      expect(expired.status).toBe(401);
      const empty = await send(page, session, '');
      expect(empty.status).toBe(400);
    } finally {
      await page.close();
    }
  });

  it('refuses a page on an origin the app does not allow: no CORS grant, WebSocket 403', async () => {
    const session = await openSession(keyA, 'u-elsewhere');
    const page = await openPage(nobodysOrigin);
    const handshakeErrors: string[] = [];
    page.on('websocket', (socket) => socket.on('socketerror', (message) => handshakeErrors.push(message)));
    try {
      const sent = await send(page, session, 'hello from a stranger');
      expect(sent.status).toBeUndefined();
      expect(sent.error).toMatch(/TypeError/);
      await inPage(page, `window.tessera.sse('sse', ${JSON.stringify(session.sse_url)}, ${JSON.stringify(session.runtime_token)}, null)`);
      await inPage(page, `window.tessera.ws('ws', ${JSON.stringify(session.ws_url)}, ${JSON.stringify(session.runtime_token)}, null)`);
      await page.waitForFunction('window.state.sse.closedForGood && window.state.ws.closedForGood', undefined, { timeout: 15_000 });
      expect((await stream(page, 'sse')).opens).toBe(0);
      expect((await stream(page, 'ws')).opens).toBe(0);
      // Chromium reports the refused upgrade's status.
      await expect.poll(() => handshakeErrors.join(' '), { timeout: 5_000 }).toMatch(/403/);
      // Nothing reached the chat.
      const transcript = (await (await stack.call('GET', `/v1/chats/${session.chat_id}/messages`, { key: keyA })).json()) as { messages: unknown[] };
      expect(transcript.messages).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("refuses app B's token on the origin app A allows", async () => {
    const session = await openSession(keyB, 'u-b');
    const page = await openPage(allowedOrigin);
    const handshakeErrors: string[] = [];
    page.on('websocket', (socket) => socket.on('socketerror', (message) => handshakeErrors.push(message)));
    try {
      const sent = await send(page, session, 'hello with the wrong token');
      expect(sent.error).toMatch(/TypeError/);
      const read = await inPage<CallOutcome>(page, `window.tessera.call(${JSON.stringify(`${proxy.url}/v1/chats/${session.chat_id}`)}, { headers: { authorization: 'Bearer ${session.runtime_token}' } })`);
      expect(read.error).toMatch(/TypeError/);
      await inPage(page, `window.tessera.sse('sse', ${JSON.stringify(session.sse_url)}, ${JSON.stringify(session.runtime_token)}, null)`);
      await inPage(page, `window.tessera.ws('ws', ${JSON.stringify(session.ws_url)}, ${JSON.stringify(session.runtime_token)}, null)`);
      await page.waitForFunction('window.state.sse.closedForGood && window.state.ws.closedForGood', undefined, { timeout: 15_000 });
      await expect.poll(() => handshakeErrors.join(' '), { timeout: 5_000 }).toMatch(/403/);
      const transcript = (await (await stack.call('GET', `/v1/chats/${session.chat_id}/messages`, { key: keyB })).json()) as { messages: unknown[] };
      expect(transcript.messages).toEqual([]);

      // The same page with B's own origin works: it is the token's app that decides.
      const own = await openPage(otherAppOrigin);
      try {
        const ok = await inPage<CallOutcome>(own, `window.tessera.call(${JSON.stringify(`${proxy.url}/v1/chats/${session.chat_id}`)}, { headers: { authorization: 'Bearer ${session.runtime_token}' } })`);
        expect(ok.status).toBe(200);
      } finally {
        await own.close();
      }
    } finally {
      await page.close();
    }
  });

  it('grants a page nothing on app-key and admin routes', async () => {
    const page = await openPage(allowedOrigin);
    const seen: { url: string; acao: string | undefined }[] = [];
    page.on('response', (response) => seen.push({ url: response.url(), acao: response.headers()['access-control-allow-origin'] }));
    try {
      for (const [route, init] of [
        ['/v1/sessions', { method: 'POST', headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' }, body: JSON.stringify({ template: 'assistant', user_id: 'u' }) }],
        ['/v1/apps/web-a', { headers: { authorization: `Bearer ${stack.adminKey}` } }],
        ['/v1/packs', { headers: { authorization: `Bearer ${keyA}` } }],
        // Simple requests (no preflight): the answer arrives, without a grant.
        ['/api/health', {}],
        ['/v1/apps/web-a', {}],
      ] as const) {
        const outcome = await inPage<CallOutcome>(page, `window.tessera.call(${JSON.stringify(`${proxy.url}${route}`)}, ${JSON.stringify(init)})`);
        expect({ route, error: outcome.error?.startsWith('TypeError') }).toEqual({ route, error: true });
      }
      // An app key on a browser route from a page: refused too.
      const session = await openSession(keyA, 'u-key');
      const withKey = await inPage<CallOutcome>(page, `window.tessera.call(${JSON.stringify(`${proxy.url}/v1/chats/${session.chat_id}`)}, { headers: { authorization: 'Bearer ${keyA}' } })`);
      expect(withKey.error).toMatch(/TypeError/);
      expect(seen.filter((entry) => entry.acao !== undefined)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
