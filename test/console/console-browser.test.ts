/**
 * The console in a real Chromium (Debian's, driven by playwright-core) against the real stack
 * (Temporal dev server, FerretDB, Redis, chDB with seeded usage): the admin and an app owner sign in
 * through the form; the audit page lists entries and verifies the chain; the cost chart draws the
 * seeded days (non-blank canvas pixels, the series in the data table, the CSV); the app owner cannot
 * reach another app by page or by a direct call with the cookie; a cross-site sign-out (a DELETE with
 * the browser's credentials) and a same-origin one without the CSRF token are refused; sign-out ends
 * the session; axe-core finds no serious or critical violation on any page.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import { aggregateDay } from '../../src/activities/analytics/aggregate';
import { etlWindow } from '../../src/activities/analytics/etl';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { buildPriceBook } from '../../src/domain/pricing';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { openTestClickHouse, seedUsage, usageEvents } from '../analytics/support';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { services, uniqueName } from '../support/services';
import { accessibility, buildConsole, HAVE_CHROMIUM, launchChromium, seriesPixels, signIn as signInAt, warnIfNoChromium } from './support';

warnIfNoChromium('console-browser.test.ts');
const A = 'cb-a';
const B = 'cb-b';

let stack: ApiStack;
let ch: ClickHouseStore;
let browser: Browser;
let crossSite: http.Server;
let crossSiteUrl: string;
let keyA: string;

beforeAll(async () => {
  buildConsole();
  stack = await startApiStack({ label: 'console-browser' });
  ch = await openTestClickHouse('console-browser');
  const pseudonymize = pseudonymizer('console-test-pseudonym-key-0123');
  stack.runtime.analytics = { clickhouse: ch, pseudonymize, gridGramsPerKwh: 400, taskQueue: uniqueName('console-analytics') };
  keyA = await stack.createApp(A);
  await stack.createApp(B);
  const deps = { mongo: stack.kit.mongo, clickhouse: ch, pseudonymize, priceBook: buildPriceBook(), archive: localDirSink(`${services().runDir}/${uniqueName('console-archive')}`) };
  // A: two days of usage every 30 minutes; B: one day every 10 (a different shape, never shown to A).
  await seedUsage(stack.kit.mongo, usageEvents(A, '2026-04-01T00:00:00Z', '2026-04-03T00:00:00Z', 30));
  await seedUsage(stack.kit.mongo, usageEvents(B, '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', 10));
  for (const app of [A, B]) await etlWindow(deps, { appId: app, source: 'usage', from: '2026-04-01T00:00:00.000Z', to: '2026-04-03T00:00:00.000Z', mode: 'etl' });
  await aggregateDay(deps, '2026-04-01');
  // A real turn of A (the worker, the offline model): the overview counts it.
  const session = await stack.call('POST', '/v1/sessions', { key: keyA, body: { template: 'assistant', user_id: 'u-console' } });
  expect(session.status).toBe(200);
  const { chat_id: chatId } = (await session.json()) as { chat_id: string };
  const turn = await stack.call('POST', `/v1/chats/${chatId}/messages`, { key: keyA, body: { content: 'Hello console' } });
  expect(turn.status).toBe(200);
  // A page of another site (localhost vs 127.0.0.1) that tries to sign the console out: a
  // cross-site DELETE with the browser's credentials, its outcome written into the page.
  crossSite = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><title>elsewhere</title><button onclick="fetch('${stack.url}/v1/console/session', { method: 'DELETE', credentials: 'include' })` +
        `.then((r) => { document.getElementById('out').textContent = 'status ' + r.status; }, () => { document.getElementById('out').textContent = 'blocked'; })">go</button><output id="out"></output>`,
    );
  });
  await new Promise<void>((resolve) => crossSite.listen(0, '127.0.0.1', resolve));
  crossSiteUrl = `http://localhost:${(crossSite.address() as AddressInfo).port}/`;
  if (HAVE_CHROMIUM) browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  crossSite?.close();
  await ch?.close();
  await stack?.close();
});

const signIn = (page: Page, key: string) => signInAt(page, stack.url, key);

async function costRows(key: string, appId?: string) {
  const q = `from=2026-04-01T00:00:00Z&to=2026-04-03T00:00:00Z&group_by=day${appId ? `&app_id=${appId}` : ''}`;
  const response = await stack.call('GET', `/v1/analytics/cost?${q}`, { key });
  expect(response.status).toBe(200);
  return ((await response.json()) as { rows: { key: string; cost_usd: number; calls: number }[] }).rows;
}

describe.skipIf(!HAVE_CHROMIUM)('the console in a browser', () => {
  it('the admin signs in, sees the app that ran a turn on the overview, the audit log verified, and the cost chart of the seeded days', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
    const overviewReads: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname === '/metrics/perf/aggregate' || pathname === '/console/api/live') overviewReads.push(pathname);
    });
    await signIn(page, stack.adminKey);
    // The key is kept nowhere in the page.
    const stored = (await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie')) as string;
    expect(stored).not.toContain(stack.adminKey);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'tessera_console', httpOnly: true, sameSite: 'Strict', path: '/' });

    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // The app that ran a turn is on it, with its turn, pushed down one live stream (no polling).
    const row = page.locator(`tr[data-app="${A}"]`);
    await row.waitFor();
    expect(Number(await row.locator('td[data-turns]').innerText())).toBeGreaterThanOrEqual(1);
    expect(await accessibility(page)).toEqual([]);
    await page.locator('[data-live-status="live"]').waitFor();
    expect(overviewReads).toEqual(['/console/api/live']);

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('App').fill(A);
    await page.getByRole('button', { name: 'Show' }).click();
    const rows = page.locator('table.audit tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('table.audit').innerText()).toContain('app');
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.locator('[data-verify]').waitFor();
    expect(await page.locator('[data-verify]').getAttribute('data-verify')).toBe('ok');
    expect(await page.locator('[data-verify]').innerText()).toMatch(new RegExp(`Chain of ${A} verified: \\d+ entries`));
    expect(await accessibility(page)).toEqual([]);

    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.getByLabel('App').fill(A);
    await page.getByLabel('From').fill('2026-04-01');
    await page.getByLabel('To').fill('2026-04-02');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('.chart canvas').waitFor();
    await expect.poll(() => seriesPixels(page)).toBeGreaterThan(200);
    const expected = await costRows(stack.adminKey, A);
    expect(expected.length).toBe(2);
    const shown = await page.locator('table.series tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-day')));
    expect(shown).toEqual(expected.map((r) => r.key));
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    expect((await download).suggestedFilename()).toBe(`cost-${A}-2026-04-01-2026-04-03.csv`);
    const csv = fs.readFileSync(await (await download).path(), 'utf8');
    expect(csv.trim().split('\n')).toEqual(['day,calls,cost_usd,unpriced_calls', ...expected.map((r) => expect.stringMatching(new RegExp(`^${r.key},${r.calls},${r.cost_usd},`)))]);
    expect(await accessibility(page)).toEqual([]);
    expect(errors).toEqual([]);
    // The only refusal the page met: "not signed in yet", before the sign-in.
    expect(failed).toEqual(['401 /v1/console/session']);
    await context.close();
  });

  it("an app owner sees its own app only: not another app's audit or analytics, by page or by a direct call with the cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, keyA);
    expect(await page.locator('.who').innerText()).toBe(`app ${A}`);
    expect(await accessibility(page)).toEqual([]);

    await page.goto(`${stack.url}/console/audit`);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('table.audit tbody tr').first().waitFor();
    expect(await page.getByLabel('App').count()).toBe(0);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    expect(await page.locator('[data-verify]').innerText()).toContain(`Chain of ${A} verified`);

    await page.goto(`${stack.url}/console/analytics`);
    expect(await page.getByLabel('App').count()).toBe(0);
    await page.getByLabel('From').fill('2026-04-01');
    await page.getByLabel('To').fill('2026-04-02');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('table.series tbody tr').first().waitFor({ state: 'attached' });
    const own = await costRows(keyA);
    const shown = await page.locator('table.series tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-day')));
    expect(shown).toEqual(own.map((r) => r.key));
    expect(await page.locator('figcaption').innerText()).toContain(`${A}:`);
    expect(await accessibility(page)).toEqual([]);

    const direct = await page.evaluate(async (other) => {
      const range = 'from=2026-04-01T00:00:00Z&to=2026-04-03T00:00:00Z';
      const paths = [
        `/v1/audit?app_id=${other}`,
        `/v1/audit/verify?app_id=${other}`,
        `/v1/analytics/cost?${range}&app_id=${other}`,
        `/v1/analytics/usage?${range}&app_id=${other}`,
        `/v1/apps/${other}`,
        '/metrics/perf/aggregate',
      ];
      return Promise.all(paths.map(async (p) => `${p} ${(await fetch(p)).status}`));
    }, B);
    expect(direct.map((line) => line.replace(/^.* (\d+)$/, '$1'))).toEqual(['404', '404', '404', '404', '404', '403']);
    // The cookie does reach the API: the same calls for the own app answer.
    const ownStatus = await page.evaluate(async (own) => (await fetch(`/v1/audit?app_id=${own}`)).status, A);
    expect(ownStatus).toBe(200);
    await context.close();
  });

  it('refuses a cross-site sign-out and one without the CSRF token; sign-out ends the session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, keyA);
    const [cookie] = await context.cookies();
    const asCookie = `${cookie!.name}=${cookie!.value}`;

    // A page of another site sends DELETE /v1/console/session with the browser's credentials: the
    // API answers its CORS preflight without allowing the origin, so the browser never sends the
    // DELETE (and would send no SameSite=Strict cookie with it); the session lives on.
    const elsewhere = await context.newPage();
    await elsewhere.goto(crossSiteUrl);
    await elsewhere.getByRole('button', { name: 'go' }).click();
    await expect.poll(() => elsewhere.locator('#out').innerText()).not.toBe('');
    expect(await elsewhere.locator('#out').innerText()).toBe('blocked');
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: asCookie } })).status).toBe(200);
    expect((await stack.call('GET', '/v1/console/session', { headers: { cookie: asCookie } })).status).toBe(200);

    // From the console's own origin, with the cookie but without the token: 403.
    const status = await page.evaluate(async () => (await fetch('/v1/console/session', { method: 'DELETE' })).status);
    expect(status).toBe(403);
    // The cookie itself is no credential on a write route that does not take console writes
    // (creating an app), and without the CSRF token not on one that does (cancelling a turn).
    const writes = await page.evaluate(async () => [
      (await fetch('/v1/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"app_id":"cb-x","name":"x"}' })).status,
      (await fetch('/v1/chats/x/cancel', { method: 'POST' })).status,
    ]);
    expect(writes).toEqual([401, 403]);
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: asCookie } })).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key or app key').waitFor();
    expect((await stack.call('GET', '/v1/audit', { headers: { cookie: asCookie } })).status).toBe(401);
    expect(await context.cookies()).toEqual([]);
    await page.reload();
    await page.getByLabel('Admin key or app key').waitFor();
    expect(await accessibility(page)).toEqual([]);
    await context.close();
  });
});
