/**
 * The console's Apps page in a real Chromium against the real stack (Temporal dev server with a chat
 * worker and the offline model, FerretDB, Redis): the admin lists the apps, edits an app's allowed
 * origins and monthly budget (read back from the API), pauses it (a message is then refused) and resumes it (a message
 * succeeds), throttles it (the state shows `throttled ×…`) and lifts the throttle, rotates its key
 * after confirming (the old key is refused, the new one shown once works); an app owner sees its own
 * app read-only and another app neither by page nor by a direct call with its cookie; a write
 * without the CSRF token is refused; axe-core finds no serious or critical violation.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { accessibility, buildConsole, HAVE_CHROMIUM, launchChromium, signIn as signInAt, warnIfNoChromium } from './support';

warnIfNoChromium('apps.test.ts');
const A = 'ca-shop';
const B = 'ca-blog';

let stack: ApiStack;
let browser: Browser;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  buildConsole();
  stack = await startApiStack({ label: 'console-apps' });
  keyA = await stack.createApp(A);
  keyB = await stack.createApp(B, { tier: 'pro' });
  if (HAVE_CHROMIUM) browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const signIn = (page: Page, key: string) => signInAt(page, stack.url, key);

/** A new chat of the app and one message to it: the message's HTTP status. */
async function messageStatus(key: string): Promise<number> {
  const session = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: 'u-apps' } });
  expect(session.status).toBe(200);
  const { chat_id: chatId } = (await session.json()) as { chat_id: string };
  const turn = await stack.call('POST', `/v1/chats/${chatId}/messages`, { key, body: { content: 'Hello apps page' } });
  await turn.body?.cancel();
  return turn.status;
}

async function appOf(appId: string): Promise<{
  paused: boolean;
  allowed_origins: string[];
  ops: { state: string; throttle_factor: number | null };
  budget: { monthly_budget_usd: number | null };
}> {
  const response = await stack.call('GET', `/v1/apps/${appId}`, { key: stack.adminKey });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

describe.skipIf(!HAVE_CHROMIUM)('the Apps page', () => {
  it('lets the admin list apps, edit origins, pause and resume, throttle and lift, and rotate a key', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, stack.adminKey);

    await page.getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    const rowA = page.locator(`table.apps tr[data-app="${A}"]`);
    await rowA.waitFor();
    await page.locator(`table.apps tr[data-app="${B}"]`).waitFor();
    expect(await rowA.locator('[data-state]').innerText()).toBe('running');
    // Newest first: B was created after A.
    expect(await page.locator('table.apps tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-app')))).toEqual([B, A]);
    expect(await accessibility(page)).toEqual([]);

    await rowA.getByRole('link', { name: A }).click();
    await page.getByRole('heading', { name: `App ${A}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/apps/${A}`);
    const state = page.locator('h1 [data-state]');

    // Settings: allowed origins, one per line; saved as the API reads them back.
    await page.getByLabel('Allowed origins (one per line)').fill('https://shop.example\nhttps://admin.shop.example');
    await page.getByLabel('Monthly budget (USD; empty: none)').fill('25');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    expect(await appOf(A)).toMatchObject({ allowed_origins: ['https://shop.example', 'https://admin.shop.example'], budget: { monthly_budget_usd: 25 } });
    expect(await page.locator('[data-field="allowed_origins"]').innerText()).toBe('https://shop.example, https://admin.shop.example');
    expect(await accessibility(page)).toEqual([]);

    // Pause: a message is refused; resume: a message succeeds.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Paused: new turns are refused.' }).waitFor();
    expect(await state.innerText()).toBe('paused');
    expect((await appOf(A)).paused).toBe(true);
    expect(await messageStatus(keyA)).toBe(503);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('status').filter({ hasText: 'Resumed: new turns are admitted.' }).waitFor();
    expect(await state.innerText()).toBe('running');
    expect(await messageStatus(keyA)).toBe(200);

    // Throttle by hand, then lift it.
    await page.getByLabel('Factor').fill('0.5');
    await page.getByLabel('Minutes').fill('15');
    await page.getByLabel('Reason').fill('checking the throttle from the console');
    await page.getByRole('button', { name: 'Throttle', exact: true }).click();
    await expect.poll(() => state.innerText()).toBe('throttled ×0.5');
    expect((await appOf(A)).ops).toMatchObject({ state: 'throttled', throttle_factor: 0.5 });
    expect(await accessibility(page)).toEqual([]);
    await page.getByRole('button', { name: 'Lift throttle' }).click();
    await page.getByRole('status').filter({ hasText: 'Throttle lifted.' }).waitFor();
    expect(await state.innerText()).toBe('running');
    expect((await appOf(A)).ops.throttle_factor).toBeNull();

    // Rotate the key: confirmed first, the new key shown once with a copy button.
    await page.getByRole('button', { name: 'Rotate key…' }).click();
    await page.getByText('The current key stops working at once').waitFor();
    expect(await accessibility(page)).toEqual([]);
    await page.getByRole('button', { name: 'Rotate the key' }).click();
    const shown = page.getByLabel('New key (shown once)');
    await shown.waitFor();
    const newKey = await shown.inputValue();
    expect(newKey).toMatch(new RegExp(`^tsk\\.${A}\\.`));
    expect(await page.getByRole('status').filter({ hasText: 'The old key no longer works' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(newKey);
    expect((await stack.call('GET', '/v1/chats?user_id=u', { key: keyA })).status).toBe(401);
    expect((await stack.call('GET', '/v1/chats?user_id=u', { key: newKey })).status).toBe(200);
    keyA = newKey;
    expect(await messageStatus(keyA)).toBe(200);
    expect(await accessibility(page)).toEqual([]);

    // The session's cookie without its CSRF token changes nothing.
    const noToken = await page.evaluate(async (appId) => {
      const response = await fetch(`/v1/apps/${appId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"paused":true}' });
      return response.status;
    }, A);
    expect(noToken).toBe(403);
    expect((await appOf(A)).paused).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows an app owner its own app read-only, and another app neither by page nor by a call with its cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, keyB);
    await page.getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('heading', { name: `App ${B}` }).waitFor();
    expect(await page.locator('[data-field="tier"]').innerText()).toBe('pro');
    for (const name of ['Save settings', 'Pause', 'Resume', 'Throttle', 'Rotate key…']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    expect(await page.locator('form.settings, form.action').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'All apps' }).count()).toBe(0);
    expect(await accessibility(page)).toEqual([]);

    await page.goto(`${stack.url}/console/apps/${A}`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(`App '${A}' not found.`);
    expect(await page.locator('dl.facts').count()).toBe(0);
    expect(await accessibility(page)).toEqual([]);

    const direct = await page.evaluate(async (other) => {
      const paths = [`/v1/apps/${other}`, '/v1/apps', `/v1/ops/policies/${other}`];
      return Promise.all(paths.map(async (p) => (await fetch(p)).status));
    }, A);
    expect(direct).toEqual([404, 403, 403]);
    expect(await page.evaluate(async (own) => (await fetch(`/v1/apps/${own}`)).status, B)).toBe(200);
    await context.close();
  });
});
