/**
 * The Chats and Packs pages in a real Chromium against the real stack (Temporal dev server, a worker
 * with the chat and pack activities, FerretDB, Redis, an offline model whose pace the test sets): a
 * chat made while the list is open appears without a reload; its transcript shows the user's and the
 * assistant's messages as text; a turn started while its page is open is tailed live (its delta text
 * shown while the turn still runs: the page drops the live turn at `turn.completed`); the Web UI link
 * carries the chat's workflow id; a pack run appears, its DAG shows every step and they reach
 * completed; a second run is cancelled from the page; an app owner never reaches another app's chats
 * or runs, by page or by a direct call with its cookie; the admin reads an app's chat read-only; axe
 * finds no serious or critical violation on any of these pages.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { accessibility, buildConsole, HAVE_CHROMIUM, launchChromium, signIn as signInAt, warnIfNoChromium } from './support';

warnIfNoChromium('chats-packs.test.ts');
const A = 'cp-a';
const B = 'cp-b';
const UI = { url: 'http://127.0.0.1:8233', namespace: 'default' };
/** Per output token while a turn or run must still be running when the page looks at it. */
const SLOW_TOKEN_MS = 150;

let model: RunningOfflineModel;
let stack: ApiStack;
let browser: Browser;
let keyA: string;
let keyB: string;
let stopWorker: () => void;
let worker: Promise<void>;
let chatId = '';

beforeAll(async () => {
  buildConsole();
  model = await startOfflineModel({ port: 0 });
  stack = await startApiStack({ label: 'chats-packs', llmBaseUrl: model.url, noWorker: true });
  // One worker with the chat and the pack activities for the whole file.
  worker = stack.kit.withWorker(() => new Promise<void>((resolve) => (stopWorker = resolve)));
  stack.runtime.temporalUi = UI;
  keyA = await stack.createApp(A, { tier: 'pro' });
  keyB = await stack.createApp(B, { tier: 'pro' });
  if (HAVE_CHROMIUM) browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  stopWorker?.();
  await worker?.catch(() => undefined);
  await stack?.close();
  await model?.close();
});

const signIn = (page: Page, key: string) => signInAt(page, stack.url, key);
const json = async <T>(response: Response) => (await response.json()) as T;

async function send(content: string, opts: { wait?: boolean } = {}) {
  const response = await stack.call('POST', `/v1/chats/${chatId}/messages${opts.wait === false ? '?wait=false' : ''}`, { key: keyA, body: { content } });
  expect(response.status).toBe(opts.wait === false ? 202 : 200);
}

describe.skipIf(!HAVE_CHROMIUM)('the Chats and Packs pages', () => {
  it('shows a chat made while the list is open, its transcript as text, a turn tailed live, and its workflow link', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, keyA);
    await page.getByRole('link', { name: 'Chats' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.getByText('No chat yet.').waitFor();
    expect(await accessibility(page)).toEqual([]);
    // Marks this document: still there later means the page was never reloaded.
    await page.evaluate('window.__sameDocument = true');

    const session = await stack.call('POST', '/v1/sessions', { key: keyA, body: { template: 'assistant', user_id: 'u-console' } });
    chatId = (await json<{ chat_id: string }>(session)).chat_id;
    await send('Hello <b id="injected">there</b> from the test');
    const row = page.locator(`tr[data-chat="${chatId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    expect(await row.innerText()).toContain('u-console');
    expect(await accessibility(page)).toEqual([]);

    await row.getByRole('link', { name: chatId }).click();
    await page.getByRole('heading', { name: `Chat ${chatId}` }).waitFor();
    const user = page.locator('li[data-role="user"] .text');
    const assistant = page.locator('li[data-role="assistant"] .text');
    await assistant.first().waitFor();
    // The message is text, never markup.
    expect(await user.first().innerText()).toBe('Hello <b id="injected">there</b> from the test');
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await assistant.first().innerText()).toMatch(/^Offline reply to: Hello <b id="injected">there<\/b> from the test/);
    const link = page.locator('a.workflow-link');
    expect(await link.getAttribute('href')).toBe(`${UI.url}/namespaces/default/workflows/${encodeURIComponent(`chat:${A}:${chatId}`)}`);
    await page.getByText('Following the chat live.').waitFor();
    expect(await accessibility(page)).toEqual([]);

    // A slow turn started now: its delta text shows while it runs (the page drops the live turn when
    // turn.completed arrives and shows the stored reply instead).
    model.setTokenLatencyMs(SLOW_TOKEN_MS);
    try {
      await send('Stream this reply slowly please', { wait: false });
      const live = page.locator('[data-live-turn][data-state="streaming"] .text');
      await expect.poll(() => live.innerText().catch(() => ''), { timeout: 30_000 }).toMatch(/^Offline reply to: Stream/);
      expect(await accessibility(page)).toEqual([]);
      await page.locator('[data-live-turn]').waitFor({ state: 'detached', timeout: 60_000 });
    } finally {
      model.setTokenLatencyMs(0);
    }
    await expect.poll(() => assistant.count()).toBe(2);
    expect(await assistant.nth(1).innerText()).toMatch(/^Offline reply to: Stream this reply slowly please/);
    expect(await page.locator('[data-turns]').innerText()).toBe('2');
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);

    // Cancel from the page: the turn is kept, marked interrupted.
    model.setTokenLatencyMs(SLOW_TOKEN_MS);
    try {
      await send('A long answer to cancel', { wait: false });
      await page.getByRole('button', { name: 'Cancel turn' }).click();
      await page.locator('[data-live-turn]').waitFor({ state: 'detached', timeout: 60_000 });
    } finally {
      model.setTokenLatencyMs(0);
    }
    await page.locator('li[data-status="interrupted"] .mark').first().waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a pack run appear, its DAG reach completed, and cancels a second run from the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, keyA);
    await page.getByRole('link', { name: 'Packs' }).click();
    await page.getByText('No run matches.').waitFor();
    expect(await accessibility(page)).toEqual([]);

    const started = await stack.call('POST', '/v1/packs/brief/runs', { key: keyA, body: { user_id: 'u-pack', input: { topic: 'heat pumps' }, run_id: 'cp-run-1' } });
    expect(started.status).toBe(201);
    const row = page.locator('tr[data-run="cp-run-1"]');
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('link', { name: 'cp-run-1' }).click();
    await page.getByRole('heading', { name: 'Run cp-run-1' }).waitFor();
    const steps = page.locator('.dag li.step');
    await steps.first().waitFor();
    expect(await steps.evaluateAll((items) => items.map((item) => item.getAttribute('data-step')))).toEqual(['outline', 'background', 'analysis', 'risks', 'summary']);
    await expect.poll(() => steps.evaluateAll((items) => items.map((item) => item.getAttribute('data-status'))), { timeout: 90_000 }).toEqual(Array(5).fill('completed'));
    await expect.poll(() => page.locator('[data-run-status]').innerText(), { timeout: 30_000 }).toBe('completed');
    // Every dependency drawn, and the same graph in the table.
    expect((await page.locator('svg.edges line').evaluateAll((lines) => lines.map((line) => line.getAttribute('data-edge')))).sort()).toEqual(
      ['analysis->summary', 'background->summary', 'outline->analysis', 'outline->background', 'outline->risks', 'risks->summary'],
    );
    expect(await page.locator('tr[data-step-row="summary"]').innerText()).toContain('background, analysis, risks');
    expect(await page.locator('.budget').innerText()).toMatch(/of 1\.0000/);
    expect(await accessibility(page)).toEqual([]);

    model.setTokenLatencyMs(SLOW_TOKEN_MS * 2);
    try {
      const second = await stack.call('POST', '/v1/packs/brief/runs', { key: keyA, body: { user_id: 'u-pack', input: { topic: 'tides' }, run_id: 'cp-run-2' } });
      expect(second.status).toBe(201);
      await page.goto(`${stack.url}/console/packs/cp-run-2`);
      await page.getByRole('button', { name: 'Cancel run' }).waitFor();
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Cancel run' }).click();
      await expect.poll(() => page.locator('[data-run-status]').innerText(), { timeout: 60_000 }).toBe('cancelled');
    } finally {
      model.setTokenLatencyMs(0);
    }
    expect(await page.locator('.dag li.step[data-status="completed"]').count()).toBeLessThan(5);
    expect(await accessibility(page)).toEqual([]);
    await page.goto(`${stack.url}/console/packs?status=cancelled`);
    await page.locator('tr[data-run="cp-run-2"]').waitFor();
    expect(await page.locator('tr[data-run="cp-run-1"]').count()).toBe(0);
    await context.close();
  });

  it("never shows an app owner another app's chats or runs, by page or by a direct call with its cookie", async () => {
    expect(chatId).not.toBe('');
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, keyB);
    await page.goto(`${stack.url}/console/chats`);
    await page.getByText('No chat yet.').waitFor();
    await page.goto(`${stack.url}/console/chats/${chatId}`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('not found');
    expect(await page.locator('li[data-role]').count()).toBe(0);
    await page.goto(`${stack.url}/console/packs`);
    await page.getByText('No run matches.').waitFor();
    await page.goto(`${stack.url}/console/packs/cp-run-1`);
    await page.getByRole('alert').waitFor();
    expect(await page.locator('.dag').count()).toBe(0);

    const direct = await page.evaluate(async ({ chat, other }) => {
      const paths = [
        `/v1/chats/${chat}`,
        `/v1/chats/${chat}?app_id=${other}`,
        `/v1/chats/${chat}/messages`,
        `/v1/chats/${chat}/events`,
        `/v1/chats?app_id=${other}`,
        '/v1/pack-runs/cp-run-1',
        `/v1/pack-runs/cp-run-1?app_id=${other}`,
        '/v1/pack-runs/cp-run-1/events',
        `/v1/pack-runs?app_id=${other}`,
      ];
      return Promise.all(paths.map(async (p) => `${p} ${(await fetch(p)).status}`));
    }, { chat: chatId, other: A });
    expect(direct.map((line) => line.replace(/^.* (\d+)$/, '$1'))).toEqual(Array(9).fill('404'));
    const own = await page.evaluate(async () => [(await fetch('/v1/chats')).status, (await fetch('/v1/pack-runs')).status]);
    expect(own).toEqual([200, 200]);
    await context.close();
  });

  it("lets the admin read an app's chats and runs, read-only", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, stack.adminKey);
    await page.getByRole('link', { name: 'Chats' }).click();
    await page.getByLabel('App').fill(A);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator(`tr[data-chat="${chatId}"]`).getByRole('link').click();
    await page.locator('li[data-role="assistant"]').first().waitFor();
    await page.getByText('Following the chat live.').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel turn' }).count()).toBe(0);
    expect(await accessibility(page)).toEqual([]);
    await page.goto(`${stack.url}/console/packs?app_id=${A}`);
    await page.locator('tr[data-run="cp-run-1"]').getByRole('link').click();
    await expect.poll(() => page.locator('.dag li.step[data-status="completed"]').count(), { timeout: 30_000 }).toBe(5);
    expect(await accessibility(page)).toEqual([]);
    await context.close();
  });
});
