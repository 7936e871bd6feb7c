/**
 * examples/browser-chat end to end: its backend (the example's own `startBrowserChat`, as
 * `npm run example:browser-chat` starts it) against the real API stack — Temporal dev server,
 * worker, FerretDB, Redis, the offline model paced per token — and its page in a real Chromium.
 * The backend creates its app with the page's origins as `allowed_origins` (admin key) and mints a
 * session per visitor; the page, on the backend's origin (another port than the API's), streams a
 * reply with the SDK's browser client. The app key never reaches the browser.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserChat, type RunningBrowserChat } from '../../examples/browser-chat/server';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { startApiStack, type ApiStack } from '../support/api-stack';

const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`browser-chat.test.ts: skipped — no Chromium at ${CHROMIUM} (scripts/install-tools.sh installs Debian's chromium; or set TESSERA_CHROMIUM)`);
}

interface SeenRequest {
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

let model: RunningOfflineModel;
let stack: ApiStack;
let example: RunningBrowserChat;
let browser: Browser;
let dataDir: string;
let keyFile: string;
const logged: string[] = [];

/** What the page sent and what the backend answered it: where the app key must never appear. */
function watch(page: Page): { requests: SeenRequest[]; bodies: Promise<string>[] } {
  const requests: SeenRequest[] = [];
  const bodies: Promise<string>[] = [];
  page.on('request', (request) => {
    requests.push({ url: request.url(), headers: request.headers(), body: request.postData() });
  });
  page.on('response', (response) => {
    if (new URL(response.url()).origin === new URL(example.url).origin) bodies.push(response.text().catch(() => ''));
  });
  return { requests, bodies };
}

/** Every text the newest assistant bubble showed, in order (the page itself keeps no such record). */
const RECORD_REPLIES = `(() => {
  window.seenReplies = [];
  new MutationObserver(() => {
    const last = [...document.querySelectorAll('li[data-role="assistant"] .text')].at(-1);
    const text = last ? last.textContent : '';
    if (text && window.seenReplies.at(-1) !== text) window.seenReplies.push(text);
  }).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
})()`;

async function assistantReplies(appKey: string, chatId: string): Promise<string[]> {
  const response = await stack.call('GET', `/v1/chats/${chatId}/messages?limit=100`, { key: appKey });
  expect(response.status).toBe(200);
  const { messages } = (await response.json()) as { messages: { role: string; content: string }[] };
  return messages.filter((message) => message.role === 'assistant' && message.content).map((message) => message.content);
}

describe.skipIf(!HAVE_CHROMIUM)('examples/browser-chat', () => {
  beforeAll(async () => {
    // Paced tokens: the reply takes a second or two to stream, so the page shows it growing.
    model = await startOfflineModel({ port: 0, tokenLatencyMs: 40 });
    stack = await startApiStack({ label: 'example-chat', llmBaseUrl: model.url });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'browser-chat-'));
    keyFile = path.join(dataDir, 'secrets', 'example-apps', 'browser-chat');
    example = await startBrowserChat({ apiUrl: stack.url, adminKey: stack.adminKey, keyFile, port: 0, log: (line) => logged.push(line) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await example?.close();
    await stack?.close();
    await model?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates its app with the page origins allowed, and serves the page on another origin than the API', async () => {
    expect(new URL(example.url).origin).not.toBe(new URL(stack.url).origin);
    expect(example.origins).toContain(new URL(example.url).origin);
    const app = await stack.call('GET', '/v1/apps/browser-chat', { key: stack.adminKey });
    expect(app.status).toBe(200);
    expect(((await app.json()) as { allowed_origins: string[] }).allowed_origins).toEqual(example.origins);
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toMatch(/\S{20,}/);
    expect(logged.join('\n')).toContain("created app 'browser-chat'");
  });

  it('streams a reply into the page as it is written; the page never holds the app key', async () => {
    const appKey = fs.readFileSync(keyFile, 'utf8').trim();
    const page = await browser.newPage();
    const seen = watch(page);
    try {
      await page.goto(example.url);
      await page.waitForSelector('#input:not([disabled])', { timeout: 30_000 });
      await page.evaluate(RECORD_REPLIES);

      await page.fill('#input', 'Hello! calculate (2+3)*7');
      await page.press('#input', 'Enter');
      await page.waitForSelector('li[data-role="assistant"][data-state="streaming"]', { timeout: 10_000 });
      await page.waitForSelector('li[data-role="assistant"][data-state="done"]', { timeout: 60_000 });

      const shown = await page.textContent('li[data-role="assistant"][data-state="done"] .text');
      const chatId = (await page.evaluate("localStorage.getItem('tessera-browser-chat:chat_id')")) as string;
      expect(chatId).toMatch(/^c_/);
      const stored = await assistantReplies(appKey, chatId);
      expect(shown).toBe(stored.at(-1));
      expect(shown).toContain('35');
      // It appeared piece by piece, each a longer start of the reply, before the whole of it.
      const texts = (await page.evaluate('window.seenReplies')) as string[];
      const partial = texts.filter((text) => text !== shown);
      expect(partial.length).toBeGreaterThanOrEqual(2);
      for (const text of partial) expect(shown?.startsWith(text)).toBe(true);
      expect(await page.textContent('li[data-role="assistant"] .tools')).toContain('calculator');
      expect(await page.textContent('li[data-role="assistant"] .meta')).toMatch(/\d+ tokens in, \d+ out/);

      // The page called Tessera itself, on the API's origin, with the runtime token — never the app key.
      const apiOrigin = new URL(stack.url).origin;
      const toApi = seen.requests.filter((request) => new URL(request.url).origin === apiOrigin);
      expect(toApi.some((request) => request.url.includes(`/v1/chats/${chatId}/messages`) && request.headers.authorization?.startsWith('Bearer ey'))).toBe(true);
      expect(toApi.some((request) => request.url.includes(`/v1/chats/${chatId}/events`))).toBe(true);
      const bodies = await Promise.all(seen.bodies);
      expect(bodies.some((body) => body.includes('runtime_token'))).toBe(true);
      for (const text of [...bodies, ...seen.requests.map((request) => JSON.stringify(request))]) expect(text).not.toContain(appKey);

      // A reload resumes the visitor's chat (cookie and stored chat id): the transcript is back.
      await page.reload();
      await page.waitForSelector('#input:not([disabled])', { timeout: 30_000 });
      expect(await page.evaluate("localStorage.getItem('tessera-browser-chat:chat_id')")).toBe(chatId);
      expect(await page.textContent('li[data-role="user"] .text')).toBe('Hello! calculate (2+3)*7');
      expect(await page.textContent('li[data-role="assistant"] .text')).toBe(shown);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('stops a reply with the Stop button: the turn is cancelled and the page can send again', async () => {
    const page = await browser.newPage();
    model.setTokenLatencyMs(200);
    try {
      await page.goto(example.url);
      await page.waitForSelector('#input:not([disabled])', { timeout: 30_000 });
      const before = await page.locator('li[data-role="assistant"]').count();
      await page.fill('#input', 'Tell me a long story about browsers');
      await page.press('#input', 'Enter');
      await page.waitForFunction('document.querySelector(\'li[data-state="streaming"] .text\')?.textContent.length > 0', undefined, { timeout: 30_000 });
      await page.click('#stop');
      const stopped = page.locator('li[data-role="assistant"]').nth(before);
      await page.waitForSelector('li[data-role="assistant"][data-state="failed"]', { timeout: 30_000 });
      expect(await stopped.locator('.meta').textContent()).toBe('stopped');
      await page.waitForSelector('#input:not([disabled])', { timeout: 5_000 });
      expect(await page.isHidden('#stop')).toBe(true);
    } finally {
      model.setTokenLatencyMs(40);
      await page.close();
    }
  }, 60_000);

  it('refuses a session to another origin, and a second start adds its own origins and reuses the kept key', async () => {
    const foreign = await fetch(`${example.url}api/session`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const second = await startBrowserChat({ apiUrl: stack.url, adminKey: stack.adminKey, keyFile, port: 0, log: (line) => logged.push(line) });
    try {
      const app = await stack.call('GET', '/v1/apps/browser-chat', { key: stack.adminKey });
      expect(((await app.json()) as { allowed_origins: string[] }).allowed_origins).toEqual([...example.origins, ...second.origins]);
      const minted = await fetch(`${second.url}api/session`, { method: 'POST', headers: { origin: new URL(second.url).origin, 'content-type': 'application/json' }, body: '{}' });
      expect(minted.status).toBe(200);
      const session = (await minted.json()) as Record<string, string>;
      expect(Object.keys(session).sort()).toEqual(['chat_id', 'expires_at', 'runtime_token', 'sse_url', 'status', 'ws_url']);
      expect(minted.headers.get('set-cookie')).toMatch(/^visitor=[\w-]{22}; Path=\/; HttpOnly; SameSite=Strict/);
    } finally {
      await second.close();
    }
  });
});
