/**
 * The client SDK against the real stack: a listening API on a Temporal dev server, FerretDB and
 * Redis, a chat worker whose model is the offline one (paced per token, so replies stream for a
 * while). A backend (app key) and a page (runtime token) chat with tool calls; a stream cut
 * mid-reply by a TCP proxy comes back by itself with every delta once and in order (SSE and
 * WebSocket); a model call the offline model drops half-way (`x-offline-fail: midstream;times=1`)
 * restarts the turn and the partial deltas go; the app's real concurrency limit answers 429 and the
 * client waits `Retry-After` and gets through; refusals are `TesseraError`s with their code. And
 * `npm run chat` does all of it over HTTP with the SDK. In a real Chromium, a page with the SDK's
 * modules streams a reply over SSE and WebSocket and resumes after the proxy cuts it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatActivities } from '../../src/activities/chat';
import { startOfflineModel } from '../../src/dev/offline-model';
import { buildPriceBook } from '../../src/domain/pricing';
import { ChatEvents, compareEntryIds } from '../../src/stores/chat-events';
import { createBrowserClient, createServerClient, TesseraError, type ChatEvent, type ServerClient } from '../../sdk/src/index.js';
import type * as Sdk from '../../sdk/src/index.js';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { services } from '../support/services';
import { chromiumPath, serveSdkPage } from './browser-page';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** A message with this word gets its first model call dropped half-way by the offline model. */
const RESTART_MARKER = 'RESTART-ONCE';
/** A message with this word gets a 400 from the offline model on every call (the turn fails). */
const FAIL_MARKER = 'FAIL-BAD-REQUEST';

let stack: ApiStack;
let model: Awaited<ReturnType<typeof startOfflineModel>>;
let worker: Worker;
let running: Promise<void>;
let proxy: TcpProxy;
let appKey: string;
let server: ServerClient;
let events: ChatEvents;

beforeAll(async () => {
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 15 });
  stack = await startApiStack({ label: 'sdk', llmBaseUrl: model.url, noWorker: true });
  // The stack's own worker, with one addition: the offline model's real fault injection for the
  // messages that ask for it (the model cuts the stream; the activity's retry streams it again).
  const llm = new OpenAI({
    apiKey: 'offline',
    baseURL: model.url,
    maxRetries: 0,
    fetch: async (url: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      // Only the message being answered counts, not the history before it.
      const messages = typeof init?.body === 'string' ? ((JSON.parse(init.body) as { messages?: { role: string; content?: unknown }[] }).messages ?? []) : [];
      const last = String(messages.filter((message) => message.role === 'user').at(-1)?.content ?? '');
      if (last.includes(RESTART_MARKER)) headers.set('x-offline-fail', 'midstream;times=1');
      if (last.includes(FAIL_MARKER)) headers.set('x-offline-fail', '400');
      return fetch(url, { ...init, headers });
    },
  });
  worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue: stack.kit.taskQueue,
    workflowBundle: { codePath: services().workflowBundlePath },
    activities: createChatActivities({ mongo: stack.kit.mongo, redis: stack.kit.redis, llm, priceBook: buildPriceBook(), httpAllowlist: [] }),
  });
  running = worker.run();
  appKey = await stack.createApp('sdk-app');
  server = createServerClient({ baseUrl: stack.url, appKey });
  events = new ChatEvents(stack.kit.redis);
  proxy = await startTcpProxy(stack.url);
});

afterAll(async () => {
  await proxy?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await stack?.close();
  await model?.close();
});

/** Every stored event of one turn, oldest first. */
async function storedTurnIds(appId: string, chatId: string, turnId: string): Promise<string[]> {
  return (await events.read({ appId, chatId }, { count: 10_000 })).filter((event) => event.turn_id === turnId).map((event) => event.id);
}

function expectStrictlyIncreasing(ids: string[]): void {
  ids.slice(1).forEach((id, index) => expect(compareEntryIds(ids[index] as string, id)).toBe(-1));
}

const deltas = (seen: ChatEvent[]) => seen.flatMap((event) => (event.type === 'message.delta' ? [event.data.delta] : []));

describe('a backend and a page', () => {
  it('chat with a tool call: the reply, its tools, usage and cost, the transcript', async () => {
    const session = await server.sessions.create({ template: 'researcher', user_id: 'alice' });
    expect(session.status).toBe('active');

    const seen: ChatEvent[] = [];
    const turn = server.chats.sendAndStream(session.chat_id, 'calculate (2+3)*7');
    for await (const event of turn) seen.push(event);
    const result = await turn.result;

    expect(result.turn_id).toBe(turn.turnId);
    expect(result.tool_calls).toHaveLength(1);
    expect(result.tool_calls[0]).toMatchObject({ name: 'calculator', ok: true });
    expect(result.tool_calls[0]?.result).toContain('35');
    expect(result.content.length).toBeGreaterThan(0);
    expect(result.usage.input_tokens).toBeGreaterThan(0);
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    expect(typeof result.usage.cost_usd).toBe('number');
    const types = seen.map((event) => event.type);
    expect(types[0]).toBe('turn.started');
    expect(types).toEqual(expect.arrayContaining(['tool.called', 'tool.result', 'message.completed']));
    expect(types.at(-1)).toBe('turn.completed');
    expect(seen.find((event) => event.type === 'message.completed')?.data).toMatchObject({ content: result.content });

    // The page, with only what the backend handed it.
    const page = createBrowserClient({ session });
    expect(page.chatId).toBe(session.chat_id);
    let grew = 0;
    const second = await page.reply('And what time is it?', { onText: () => grew++ });
    expect(second.tool_calls.map((call) => call.name)).toEqual(['current_time']);
    expect(grew).toBeGreaterThan(0);
    const chat = await page.chat();
    expect(chat).toMatchObject({ chat_id: session.chat_id, user_id: 'alice', template: 'researcher', turn_count: 2, status: 'active' });
    const transcript = await page.messages({ limit: 50 });
    expect(transcript.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'tool', 'assistant']);
    expect(transcript.messages.at(-1)?.content).toBe(second.content);
    expect((await page.chats()).chats.map((listed) => listed.chat_id)).toContain(session.chat_id);
    expect((await server.chats.list({ user_id: 'alice' })).chats.map((listed) => listed.chat_id)).toContain(session.chat_id);

    // The backend's own read of the same chat, then it closes it.
    expect((await server.chats.get(session.chat_id)).totals.output_tokens).toBeGreaterThan(0);
    await server.chats.close(session.chat_id);
    await expect.poll(async () => (await server.chats.get(session.chat_id)).status, { timeout: 20_000 }).toBe('closed');
  });

  it('a send is idempotent: the same message_id returns the same turn, never a second one', async () => {
    const session = await server.sessions.create({ template: 'assistant', user_id: 'bob' });
    const first = await server.chats.send(session.chat_id, 'Hello once', { messageId: 'm-1' });
    const again = await server.chats.send(session.chat_id, 'Hello once', { messageId: 'm-1' });
    expect(again).toEqual(first);
    expect(first.turn_id).toBe('m-1');
    // Followed as a stream, an already answered message gives its stored reply at once.
    const replayed = await server.chats.reply(session.chat_id, 'Hello once', { messageId: 'm-1' });
    expect(replayed).toMatchObject({ turn_id: 'm-1', content: first.message.content });
    expect((await server.chats.get(session.chat_id)).turn_count).toBe(1);
    // Generated ids differ per send.
    const a = await server.chats.send(session.chat_id, 'Hello twice');
    const b = await server.chats.send(session.chat_id, 'Hello twice');
    expect(a.turn_id).not.toBe(b.turn_id);
    expect((await server.chats.get(session.chat_id)).turn_count).toBe(3);
  });
});

describe('the audit log', () => {
  it('pages through the app\'s entries with the cursor and verifies its hash chain', async () => {
    const session = await server.sessions.create({ template: 'assistant', user_id: 'kim' });
    await server.chats.send(session.chat_id, 'Something worth auditing');
    const first = await server.audit.list({ limit: 2 });
    expect(first.app_id).toBe('sdk-app');
    expect(first.entries).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const all = [];
    for await (const entry of server.audit.entries({ limit: 2 })) all.push(entry);
    expect(all.length).toBeGreaterThan(2);
    expect(all.slice(0, 2)).toEqual(first.entries);
    const verified = await server.audit.verify();
    expect(verified.ok).toBe(true);
    // Entries of turns still ending may land after the read.
    expect(verified.checked).toBeGreaterThanOrEqual(all.length);
  });
});

describe('streams that drop', () => {
  for (const transport of ['sse', 'websocket'] as const) {
    it(`${transport}: a connection cut mid-reply resumes by itself from the last event id, every delta once and in order`, async () => {
      const session = await server.sessions.create({ template: 'assistant', user_id: `carol-${transport}` });
      // The page reaches the API through the proxy, which the test cuts.
      const page = createBrowserClient({ session, baseUrl: proxy.url });
      const reconnects: (string | undefined)[] = [];
      const seen: ChatEvent[] = [];
      let dropped = false;
      const turn = page.sendAndStream('Please answer at some length about resuming event streams after a network failure', {
        transport,
        reconnect: { baseDelayMs: 50 },
        onReconnect: ({ lastEventId }) => reconnects.push(lastEventId),
      });
      for await (const event of turn) {
        seen.push(event);
        if (!dropped && deltas(seen).length === 3) {
          dropped = true;
          proxy.dropAll();
        }
      }
      const result = await turn.result;
      expect(dropped).toBe(true);
      expect(reconnects.length).toBeGreaterThanOrEqual(1);
      // It came back after the last event it had delivered.
      expect(reconnects[0]).toBe(seen.filter((event) => event.type === 'message.delta')[2]?.id);

      const ids = seen.map((event) => event.id as string);
      expectStrictlyIncreasing(ids);
      expect(ids).toEqual(await storedTurnIds('sdk-app', session.chat_id, turn.turnId));
      expect(deltas(seen).join('')).toBe(result.content);
      expect(result.content).toMatch(/^Offline reply to: Please answer at some length/);
      expect(turn.text).toBe(result.content);
    });
  }

  it('a raw event iterator resumes after the given Last-Event-ID and misses nothing', async () => {
    const session = await server.sessions.create({ template: 'assistant', user_id: 'dave' });
    const first = await server.chats.send(session.chat_id, 'First message');
    const stored = (await events.read({ appId: 'sdk-app', chatId: session.chat_id }, { count: 10_000 })).map((event) => event.id);
    const middle = stored[Math.floor(stored.length / 2)] as string;
    const stop = new AbortController();
    const got: string[] = [];
    for await (const event of server.chats.events(session.chat_id, { lastEventId: middle, signal: stop.signal })) {
      got.push(event.id as string);
      if (event.type === 'turn.completed' && event.turn_id === first.turn_id) stop.abort();
    }
    expect(got).toEqual(stored.slice(stored.indexOf(middle) + 1));
  });
});

describe('turn.restarted', () => {
  it('drops the restarted step\'s partial deltas: the reply text is the retried answer alone', async () => {
    const session = await server.sessions.create({ template: 'assistant', user_id: 'erin' });
    const seen: ChatEvent[] = [];
    const texts: string[] = [];
    const turn = server.chats.sendAndStream(session.chat_id, `${RESTART_MARKER} tell me about retries`);
    for await (const event of turn) {
      seen.push(event);
      texts.push(turn.text);
    }
    const result = await turn.result;
    const restartAt = seen.findIndex((event) => event.type === 'turn.restarted');
    expect(restartAt).toBeGreaterThan(0);
    // Some deltas came before the cut; after the restart the text starts again from nothing.
    expect(deltas(seen.slice(0, restartAt)).length).toBeGreaterThan(0);
    expect(texts[restartAt]).toBe('');
    expect(deltas(seen.slice(restartAt)).join('')).toBe(result.content);
    expect(result.content).toMatch(new RegExp(`^Offline reply to: ${RESTART_MARKER} tell me about retries`));
    expect(turn.text).toBe(result.content);
  });
});

describe('turn.failed', () => {
  it('ends the stream with a TesseraError carrying the failure\'s code and the turn', async () => {
    const session = await server.sessions.create({ template: 'assistant', user_id: 'leo' });
    const turn = server.chats.sendAndStream(session.chat_id, `${FAIL_MARKER} this cannot be answered`);
    const types: string[] = [];
    const failure = await (async () => {
      for await (const event of turn) types.push(event.type);
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraError);
    expect(failure).toMatchObject({ status: 0, turnId: turn.turnId });
    expect(types.at(-1)).toBe('turn.failed');
    // The event's own code when it has one (else `turn_failed`), and its status and error in the message.
    const failed = (failure as TesseraError).details as { status: string; error: string | null; code?: string };
    expect((failure as TesseraError).code).toBe(failed.code ?? 'turn_failed');
    expect((failure as TesseraError).message).toContain(`turn ${turn.turnId} ${failed.status}`);
    expect(failed.error).toEqual(expect.any(String));
    await expect(turn.result).rejects.toBe(failure);
    // The chat goes on: the next message is answered.
    const next = await server.chats.reply(session.chat_id, 'Hello after the failure');
    expect(next.content).toMatch(/^Offline reply to: Hello after the failure/);
    expect(await server.chats.get(session.chat_id)).toMatchObject({ failed_turns: 1, turn_count: 1 });
  });
});

describe('limits and errors', () => {
  it('429 from the app\'s concurrency limit: waits Retry-After and gets through; without retries it is a TesseraError', async () => {
    const limitedKey = await stack.createApp('sdk-limited', { limits: { max_concurrent_turns: 1 } });
    const statuses: number[] = [];
    const recording = (input: Request) => fetch(input).then((response) => {
      if (new URL(input.url).pathname.endsWith('/messages')) statuses.push(response.status);
      return response;
    });
    const limited = createServerClient({ baseUrl: stack.url, appKey: limitedKey, fetch: recording, retry: { maxRetries: 10 } });
    const strict = createServerClient({ baseUrl: stack.url, appKey: limitedKey, retry: { maxRetries: 0 } });
    const busy = await limited.sessions.create({ template: 'assistant', user_id: 'frank' });
    const other = await limited.sessions.create({ template: 'assistant', user_id: 'grace' });

    // A long turn holds the app's only slot (from its admission until it ends).
    const holding = await limited.chats.submit(busy.chat_id, 'Please write a long answer about admission control and fair scheduling of many tenants');
    expect(holding.status).toBe('accepted');

    const refused = await strict.chats.send(other.chat_id, 'Am I let in?').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TesseraError);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_concurrent_turns' });
    expect((refused as TesseraError).retryAfter).toBeGreaterThanOrEqual(1);

    statuses.length = 0;
    const started = Date.now();
    const turn = await limited.chats.send(other.chat_id, 'Am I let in now?');
    expect(turn.message.content).toMatch(/^Offline reply to: Am I let in now\?/);
    expect(statuses[0]).toBe(429);
    expect(statuses.at(-1)).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await limited.chats.get(busy.chat_id)).turn_count).toBe(1);
  });

  it('refusals are TesseraErrors with status and code: 401 bad key, 404 unknown chat, 404 another chat\'s token', async () => {
    const wrong = createServerClient({ baseUrl: stack.url, appKey: 'tsk_not-a-real-key' });
    const unauthorized = await wrong.sessions.create({ template: 'assistant', user_id: 'x' }).catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(TesseraError);
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized' });
    expect((unauthorized as TesseraError).requestId).toBeTruthy();

    const missing = await server.chats.get('no-such-chat').catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });

    const mine = await server.sessions.create({ template: 'assistant', user_id: 'heidi' });
    const theirs = await server.sessions.create({ template: 'assistant', user_id: 'ivan' });
    const page = createBrowserClient({ session: mine, chatId: theirs.chat_id });
    await expect(page.chat()).rejects.toMatchObject({ status: 404, code: 'not_found' });
    // A stream that is refused for good ends the iterator with the error (no reconnecting).
    const stream = page.events();
    await expect(stream.next()).rejects.toMatchObject({ status: 404, code: 'not_found' });

    const invalid = await server.chats.send(mine.chat_id, '').catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 400 });
  });

  it('a runtime token given as a function is asked for again after a 401, for requests and streams', async () => {
    const session = await server.sessions.create({ template: 'assistant', user_id: 'judy' });
    await server.chats.send(session.chat_id, 'Something to stream');
    // The first token handed out is refused (as an expired one would be), the next one is good.
    let asked = 0;
    const refreshing = () => (asked++ % 2 === 0 ? 'eyJhbGciOiJIUzI1NiJ9.e30.not-a-signature' : session.runtime_token);
    const page = createBrowserClient({ session, runtimeToken: refreshing });
    expect((await page.chat()).chat_id).toBe(session.chat_id);
    expect(asked).toBe(2);
    const stop = new AbortController();
    const types: string[] = [];
    for await (const event of page.events({ signal: stop.signal })) {
      types.push(event.type);
      if (event.type === 'turn.completed') stop.abort();
    }
    expect(asked).toBe(4);
    expect(types[0]).toBe('turn.started');
    // A token that stays refused ends the stream with the 401.
    const never = createBrowserClient({ session, runtimeToken: () => 'eyJhbGciOiJIUzI1NiJ9.e30.not-a-signature' });
    await expect(never.events().next()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe('npm run chat (src/cli/chat.ts) over the SDK', () => {
  const run = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/chat.ts', '--url', stack.url, ...args], {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, ...env },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it('streams the reply with its tool call, then the tokens and cost', async () => {
    const out = await run(['--key', appKey, '--template', 'researcher', '--chat', 'cli-1', 'calculate (2+3)*7']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('[tool calculator]');
    expect(out.stdout).toMatch(/— \d+ input tokens \(\d+ cached\), \d+ output tokens, (cost \$[\d.]+|unpriced model)\n— chat cli-1, turn m_[0-9a-f]{32}\n$/);
    const transcript = await server.chats.messages('cli-1');
    const reply = transcript.messages.at(-1)?.content ?? '';
    expect(reply.length).toBeGreaterThan(0);
    expect(out.stdout).toContain(reply);
  });

  it('--app makes the app with the admin key once and keeps its key; a bad key is a 401', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-'));
    try {
      const env = { TESSERA_DATA_DIR: dataDir, TESSERA_ADMIN_KEY: stack.adminKey };
      const first = await run(['--app', 'cli-made', '--chat', 'c1', 'Hello, who are you?'], env);
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/^created app 'cli-made'/);
      expect(first.stdout).toMatch(/^Offline reply to: Hello, who are you\?/);
      expect(first.stdout).toContain('workflow chat:cli-made:c1 (Web UI: TesseraAppId="cli-made")');
      const second = await run(['--app', 'cli-made', '--chat', 'c1', 'And again'], env);
      expect(second.code).toBe(0);
      expect(second.stderr).toBe('');
      const kept = fs.readFileSync(path.join(dataDir, 'secrets', 'cli-apps', 'cli-made'), 'utf8').trim();
      const made = createServerClient({ baseUrl: stack.url, appKey: kept });
      expect((await made.chats.get('c1')).turn_count).toBe(2);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const refused = await run(['--key', 'tsk_wrong', 'Hello']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^chat failed: 401 unauthorized: /);
  });
});

type Sdk = typeof Sdk;
const CHROMIUM = chromiumPath();

describe('in a real browser (Chromium)', () => {
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
  });

  for (const transport of ['sse', 'websocket'] as const) {
    it.skipIf(!CHROMIUM)(`${transport}: a page streams a reply with the SDK and resumes after a cut, every delta once and in order${CHROMIUM ? '' : ' (skipped: no chromium; the setup script installs it as root)'}`, async () => {
      // The page is fulfilled by Playwright, not fetched from a loopback address, so Chromium would
      // take it for a public page and hold its WebSocket to 127.0.0.1 for a Local Network Access
      // permission prompt; a page served by the app's own (local) server has no such prompt.
      browser ??= await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-features=LocalNetworkAccessChecks'],
      });
      const session = await server.sessions.create({ template: 'researcher', user_id: `page-${transport}` });
      const page = await browser.newPage();
      try {
        // The page is served from the proxy's origin, the address it also reaches the API at (so it
        // is same-origin: cross-origin pages and CORS are the browser-access tests' part).
        await page.goto(await serveSdkPage(page, proxy.url));
        await page.waitForFunction(() => (globalThis as unknown as { sdkReady?: boolean }).sdkReady === true);
        await page.exposeFunction('dropConnections', () => proxy.dropAll());
        const outcome = await page.evaluate(
          async ({ session, baseUrl, transport }) => {
            const { createBrowserClient } = (globalThis as unknown as { sdk: Sdk }).sdk;
            const drop = (globalThis as unknown as { dropConnections: () => Promise<void> }).dropConnections;
            const chat = createBrowserClient({ session, baseUrl });
            const seen: { id: string | null; type: string; delta?: string }[] = [];
            let reconnects = 0;
            const turn = chat.sendAndStream('calculate (2+3)*7 and then explain how resuming a stream works', {
              transport,
              reconnect: { baseDelayMs: 50 },
              onReconnect: () => reconnects++,
            });
            let deltas = 0;
            for await (const event of turn) {
              seen.push({ id: event.id, type: event.type, ...(event.type === 'message.delta' ? { delta: event.data.delta } : {}) });
              if (event.type === 'message.delta' && ++deltas === 3) await drop();
            }
            const result = await turn.result;
            return { seen, reconnects, result, text: turn.text, userAgent: navigator.userAgent };
          },
          { session, baseUrl: proxy.url, transport },
        );
        expect(outcome.userAgent).toMatch(/Chrome/);
        expect(outcome.reconnects).toBeGreaterThanOrEqual(1);
        const ids = outcome.seen.map((event) => event.id as string);
        expectStrictlyIncreasing(ids);
        expect(ids).toEqual(await storedTurnIds('sdk-app', session.chat_id, outcome.result.turn_id));
        expect(outcome.seen.map((event) => event.type)).toEqual(expect.arrayContaining(['tool.called', 'tool.result', 'turn.completed']));
        expect(outcome.result.tool_calls.map((call) => call.name)).toEqual(['calculator']);
        // The deltas of the final step add up to the reply.
        const finalStep = outcome.seen.slice(outcome.seen.map((event) => event.type).lastIndexOf('tool.result'));
        expect(finalStep.flatMap((event) => (event.delta === undefined ? [] : [event.delta])).join('')).toBe(outcome.result.content);
        expect(outcome.text).toBe(outcome.result.content);
        const transcript = await server.chats.messages(session.chat_id);
        expect(transcript.messages.at(-1)?.content).toBe(outcome.result.content);
      } finally {
        await page.close();
      }
    });
  }
});
