/**
 * The console's screenshots in docs/console/ (the README shows them), taken from a real Chromium on
 * the real stack with a little seeded data: `npm run console:screenshots`. Skipped in `npm test`
 * (it writes into the repository); like the history recorders, it runs only when asked
 * (TESSERA_SCREENSHOTS=1).
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
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
import { buildConsole, HAVE_CHROMIUM, launchChromium, signIn } from './support';

const RECORDING = process.env.TESSERA_SCREENSHOTS === '1' && HAVE_CHROMIUM;
const OUT = path.resolve(__dirname, '../../docs/console');
const APP = 'acme-support';

let stack: ApiStack;
let ch: ClickHouseStore;
let browser: Browser;
let chatId = '';

describe.skipIf(!RECORDING)('console screenshots', () => {
  beforeAll(async () => {
    buildConsole();
    stack = await startApiStack({ label: 'console-shots' });
    ch = await openTestClickHouse('console-shots');
    const pseudonymize = pseudonymizer('console-shots-pseudonym-key-0123');
    stack.runtime.analytics = { clickhouse: ch, pseudonymize, gridGramsPerKwh: 400, taskQueue: uniqueName('console-shots-analytics') };
    const key = await stack.createApp(APP);
    await stack.createApp('globex-search');
    const deps = { mongo: stack.kit.mongo, clickhouse: ch, pseudonymize, priceBook: buildPriceBook(), archive: localDirSink(`${services().runDir}/${uniqueName('console-shots-archive')}`) };
    await seedUsage(stack.kit.mongo, usageEvents(APP, '2026-04-01T00:00:00Z', '2026-04-08T00:00:00Z', 20));
    await etlWindow(deps, { appId: APP, source: 'usage', from: '2026-04-01T00:00:00.000Z', to: '2026-04-08T00:00:00.000Z', mode: 'etl' });
    for (let day = 1; day <= 7; day++) await aggregateDay(deps, `2026-04-0${day}`);
    const session = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: 'u-ada' } });
    chatId = ((await session.json()) as { chat_id: string }).chat_id;
    for (const content of ['Hello, what can you do?', 'Summarise our refund policy.']) {
      expect((await stack.call('POST', `/v1/chats/${chatId}/messages`, { key, body: { content } })).status).toBe(200);
    }
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await ch?.close();
    await stack?.close();
  });

  it('takes one screenshot per main page', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signIn(page, stack.url, stack.adminKey);
    const shots: [string, string, () => Promise<void>][] = [
      ['overview', '/console/', () => page.locator(`tr[data-app="${APP}"]`).waitFor()],
      ['packs', `/console/packs?app_id=${APP}`, () => page.getByRole('heading', { name: 'Pack runs' }).waitFor()],
      ['apps', '/console/apps', () => page.getByRole('heading', { name: 'Apps' }).waitFor()],
      ['chats', `/console/chats?app_id=${APP}`, () => page.locator('table tbody tr').first().waitFor()],
      ['chat', `/console/chats/${chatId}?app_id=${APP}`, () => page.locator('ol.transcript li').nth(3).waitFor()],
      ['analytics', '/console/analytics', async () => {
        await page.getByLabel('App').fill(APP);
        await page.getByLabel('From').fill('2026-04-01');
        await page.getByLabel('To').fill('2026-04-07');
        await page.getByRole('button', { name: 'Show' }).click();
        await page.locator('.chart canvas').first().waitFor();
      }],
      ['incidents', '/console/incidents', () => page.getByRole('heading', { name: 'Incidents' }).waitFor()],
      ['audit', '/console/audit', async () => {
        await page.getByLabel('App').fill(APP);
        await page.getByRole('button', { name: 'Show' }).click();
        await page.locator('table.audit tbody tr').first().waitFor();
        await page.getByRole('button', { name: 'Verify chain' }).click();
        await page.locator('[data-verify]').waitFor();
      }],
    ];
    for (const [name, to, ready] of shots) {
      await page.goto(`${stack.url}${to}`);
      await ready();
      await page.waitForTimeout(300); // the charts' and the live stream's first paint
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: false });
    }
  }, 120_000);
});
