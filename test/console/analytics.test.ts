/**
 * The console's Analytics page in a real Chromium against the real stack (FerretDB, Redis, chDB):
 * usage seeded in MongoDB and run through the ETL and the daily aggregation. Every report — cost,
 * usage and performance by each grouping, engagement, failures grouped, the budget forecast —
 * draws the seeded data (canvas pixels of the series' colour), lists the API's keys in its table and
 * downloads the API's rows as CSV; the app owner has no App field and reaches no other app with its
 * cookie; axe-core finds no serious or critical violation on any report.
 */
import fs from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import { aggregateDay } from '../../src/activities/analytics/aggregate';
import { etlWindow } from '../../src/activities/analytics/etl';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { buildPriceBook } from '../../src/domain/pricing';
import { Budgets, budgetScopes } from '../../src/stores/budgets';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { openTestClickHouse, seedUsage, usageEvents } from '../analytics/support';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { services, uniqueName } from '../support/services';
import { accessibility, buildConsole, HAVE_CHROMIUM, launchChromium, seriesPixels, signIn as signInAt, warnIfNoChromium } from './support';

warnIfNoChromium('analytics.test.ts');
const suffix = Date.now().toString(36);
const A = `an-a-${suffix}`;
const B = `an-b-${suffix}`;
// The page's range, 2026-04-01 to 2026-04-08 (both shown), is the API's [04-01, 04-09).
const RANGE = 'from=2026-04-01T00:00:00Z&to=2026-04-09T00:00:00Z';
const NOW = new Date('2026-04-03T00:00:00Z');

let stack: ApiStack;
let ch: ClickHouseStore;
let browser: Browser;
let keyA: string;

beforeAll(async () => {
  buildConsole();
  stack = await startApiStack({ label: 'console-analytics', noWorker: true });
  ch = await openTestClickHouse('console-analytics');
  const pseudonymize = pseudonymizer('console-analytics-pseudonym-key');
  stack.runtime.analytics = { clickhouse: ch, pseudonymize, gridGramsPerKwh: 400, taskQueue: uniqueName('console-analytics') };
  keyA = await stack.createApp(A);
  await stack.createApp(B);
  const deps = { mongo: stack.kit.mongo, clickhouse: ch, pseudonymize, priceBook: buildPriceBook(), archive: localDirSink(`${services().runDir}/${uniqueName('console-analytics-archive')}`) };
  // A: two days every 30 minutes, and three calls a week later (its users come back: a retention
  // cohort with a second week); every 7th call fails. B: one day every 10 minutes, never shown to A.
  await seedUsage(stack.kit.mongo, usageEvents(A, '2026-04-01T00:00:00Z', '2026-04-03T00:00:00Z', 30));
  await seedUsage(stack.kit.mongo, usageEvents(A, '2026-04-08T00:00:00Z', '2026-04-08T03:00:00Z', 60));
  await seedUsage(stack.kit.mongo, usageEvents(B, '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', 10));
  for (const app of [A, B]) await etlWindow(deps, { appId: app, source: 'usage', from: '2026-04-01T00:00:00.000Z', to: '2026-04-09T00:00:00.000Z', mode: 'etl' });
  await aggregateDay(deps, '2026-04-01');
  // A's April budget: $0.02 (the seeded spend runs it out within the month).
  await new Budgets(stack.runtime.redis).setLimit(budgetScopes.appMonth(A, NOW), 20_000_000);
  if (HAVE_CHROMIUM) browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ch?.close();
  await stack?.close();
});

async function api<T>(path: string, key = stack.adminKey): Promise<T> {
  const response = await stack.call('GET', path, { key });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Clicks a CSV link and reads what the browser saved. */
async function download(page: Page, link: Locator): Promise<{ name: string; lines: string[][] }> {
  await link.and(page.locator('a[href^="blob:"]')).waitFor();
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const text = fs.readFileSync(await file.path(), 'utf8');
  // No field of these reports holds a comma or a quote.
  return { name: file.suggestedFilename(), lines: text.trim().split('\n').map((line) => line.split(',')) };
}

/** CSV lines as objects by header, numbers where the API has numbers. */
function records(lines: string[][]): Record<string, string>[] {
  const [header, ...rows] = lines;
  return rows.map((row) => Object.fromEntries(header!.map((h, i) => [h, row[i] ?? ''])));
}

const keysOf = (page: Page, selector: string) => page.locator(`${selector} table.series tbody tr`).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));

/** Every `<details>` open, so axe-core checks the tables too. */
async function checkAccessibility(page: Page): Promise<void> {
  await page.locator('details').evaluateAll((all) => all.forEach((d) => d.setAttribute('open', '')));
  expect(await accessibility(page)).toEqual([]);
}

type Row = { key: string } & Record<string, number | string | Record<string, number>>;
/** A row of the API as the CSV spells it: nested quantiles flattened (`latency_ms_p50`). */
function flat(row: Row, group: string): Record<string, string> {
  const out: Record<string, string> = { [group]: row.key };
  for (const [k, v] of Object.entries(row)) {
    if (k === 'key' || k === 'cost_nanos' || k === 'billed_cost_nanos') continue;
    if (typeof v === 'object') for (const [q, n] of Object.entries(v)) out[`${k}_${q}`] = String(n);
    else out[k] = String(v);
  }
  return out;
}

const HEADERS: Record<string, string[]> = {
  cost: ['calls', 'cost_usd', 'unpriced_calls'],
  usage: ['turns', 'calls', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'energy_wh', 'co2e_g', 'unestimated_calls'],
  performance: ['calls', 'errors', 'error_rate', 'latency_ms_p50', 'latency_ms_p95', 'latency_ms_p99', 'ttft_ms_p50', 'ttft_ms_p95', 'ttft_ms_p99'],
};
/** The measure each report's bars draw (the table is sorted by it, largest first). */
const CHARTED: Record<string, (r: Record<string, string>) => number> = {
  cost: (r) => Number(r.cost_usd),
  usage: (r) => Number(r.input_tokens),
  performance: (r) => Number(r.latency_ms_p50),
};

async function showRange(page: Page, admin: boolean) {
  if (admin) await page.getByLabel('App', { exact: true }).fill(A);
  await page.getByLabel('From', { exact: true }).fill('2026-04-01');
  await page.getByLabel('To', { exact: true }).fill('2026-04-08');
}

describe.skipIf(!HAVE_CHROMIUM)('the Analytics page', () => {
  it('draws cost, usage and performance by day, hour, model, template and user: the API rows in the chart, the table and the CSV', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signInAt(page, stack.url, stack.adminKey);
    await page.goto(`${stack.url}/console/analytics`);
    await showRange(page, true);
    for (const report of ['cost', 'usage', 'performance'] as const) {
      await page.getByRole('button', { name: report[0]!.toUpperCase() + report.slice(1), exact: true }).click();
      for (const group of ['day', 'hour', 'model', 'template', 'user'] as const) {
        await page.getByLabel('Group by').selectOption(group);
        await page.getByRole('button', { name: 'Show', exact: true }).click();
        const expected = (await api<{ rows: Row[] }>(`/v1/analytics/${report}?${RANGE}&group_by=${group}&app_id=${A}`)).rows;
        expect(expected.length).toBeGreaterThan(1);
        const keys = expected.map((r) => r.key);
        const time = group === 'day' || group === 'hour';
        // The table: every key of the API, in time order or (bars) largest first.
        await expect.poll(async () => [...(await keysOf(page, 'figure'))].sort()).toEqual([...keys].sort());
        expect(await page.locator(`table.series tbody tr[data-${group}]`).count()).toBe(keys.length);
        if (time) expect(await keysOf(page, 'figure')).toEqual(keys);
        await expect.poll(() => seriesPixels(page, `[data-chart="${report}"] canvas`)).toBeGreaterThan(50);

        const csv = await download(page, page.locator('figcaption').getByRole('link', { name: 'Download CSV' }));
        expect(csv.name).toBe(`${report}${group === 'day' ? '' : `-by-${group}`}-${A}-2026-04-01-2026-04-09.csv`);
        expect(csv.lines[0]).toEqual([group, ...HEADERS[report]!]);
        const shown = records(csv.lines);
        expect(shown.map((r) => r[group])).toEqual(await keysOf(page, 'figure'));
        const byKey = new Map(expected.map((r) => [r.key, flat(r, group)]));
        for (const line of shown) expect(line).toEqual(byKey.get(line[group]!));
        if (!time) {
          const charted = shown.map(CHARTED[report]!);
          expect(charted).toEqual([...charted].sort((x, y) => y - x));
        }
      }
      await checkAccessibility(page);
    }
    // The cost-by-day contract of the first console test: the CSV's header and name.
    await page.getByRole('button', { name: 'Cost', exact: true }).click();
    await page.getByLabel('Group by').selectOption('day');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.locator('table.series tbody tr[data-day]').first().waitFor({ state: 'attached' });
    const cost = await download(page, page.getByRole('link', { name: 'Download CSV' }));
    expect(cost.name).toBe(`cost-${A}-2026-04-01-2026-04-09.csv`);
    expect(cost.lines[0]!.join(',')).toBe('day,calls,cost_usd,unpriced_calls');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows engagement, failures grouped with links to their chats, and the budget forecast', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signInAt(page, stack.url, stack.adminKey);
    await page.goto(`${stack.url}/console/analytics`);
    await showRange(page, true);

    // Engagement: DAU/WAU/MAU drawn and listed, the figures, the retention cohorts.
    await page.getByRole('button', { name: 'Engagement', exact: true }).click();
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const engagement = await api<{
      sessions_per_user: number;
      turns_per_session: number;
      daily_active_users: { period: string; users: number }[];
      weekly_active_users: { period: string; users: number }[];
      monthly_active_users: { period: string; users: number }[];
      retention: { week: string; users: number; retention: number[] }[];
    }>(`/v1/analytics/engagement?${RANGE}&app_id=${A}`);
    const active = [
      ...engagement.daily_active_users.map((a) => ({ granularity: 'day', ...a })),
      ...engagement.weekly_active_users.map((a) => ({ granularity: 'week', ...a })),
      ...engagement.monthly_active_users.map((a) => ({ granularity: 'month', ...a })),
    ];
    expect(engagement.daily_active_users.map((d) => d.period)).toEqual(['2026-04-01', '2026-04-02', '2026-04-08']);
    expect(engagement.retention).toEqual([{ week: '2026-03-30', users: 3, retention: [1, 1] }]);
    const figure = page.locator('[data-figure="active-users"]');
    await expect.poll(() => keysOf(page, '[data-figure="active-users"]')).toEqual(active.map((a) => `${a.granularity}:${a.period}`));
    await expect.poll(() => seriesPixels(page, '[data-chart="engagement"] canvas')).toBeGreaterThan(50);
    expect(await page.locator('[data-figure="sessions_per_user"]').innerText()).toBe(String(engagement.sessions_per_user));
    expect(await page.locator('[data-figure="turns_per_session"]').innerText()).toBe(String(engagement.turns_per_session));
    const activeCsv = await download(page, figure.getByRole('link', { name: 'Download CSV' }));
    expect(activeCsv.name).toBe(`active-users-${A}-2026-04-01-2026-04-09.csv`);
    expect(records(activeCsv.lines)).toEqual(active.map((a) => ({ granularity: a.granularity, period: a.period, users: String(a.users) })));
    const retention = page.locator('[data-table="retention"]');
    expect(await keysOf(page, '[data-table="retention"]')).toEqual(engagement.retention.map((c) => c.week));
    const retentionCsv = await download(page, retention.getByRole('link', { name: 'Download CSV' }));
    expect(retentionCsv.lines).toEqual([['week', 'users', 'week_0', 'week_1'], ...engagement.retention.map((c) => [c.week, String(c.users), ...c.retention.map(String)])]);
    await checkAccessibility(page);

    // Failures grouped: every group of the API, its sample chats linked to the Chats page.
    await page.getByRole('button', { name: 'Errors', exact: true }).click();
    const failures = await api<{ groups: { kind: string; code: string; model: string; template: string; count: number; turns: number; first_seen: string; last_seen: string; sample_chat_ids: string[] }[] }>(
      `/v1/analytics/errors?${RANGE}&app_id=${A}`,
    );
    expect(failures.groups.length).toBeGreaterThan(1);
    await expect.poll(() => keysOf(page, '[data-report="errors"]')).toEqual(failures.groups.map((g) => `${g.kind}|${g.code}|${g.model}|${g.template}`));
    const links = await page.locator('[data-report="errors"] tbody tr').first().getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(failures.groups[0]!.sample_chat_ids.map((id) => `/console/chats/${id}`));
    const errorsCsv = await download(page, page.locator('[data-report="errors"]').getByRole('link', { name: 'Download CSV' }));
    expect(errorsCsv.name).toBe(`errors-${A}-2026-04-01-2026-04-09.csv`);
    expect(records(errorsCsv.lines)).toEqual(
      failures.groups.map((g) => ({ ...g, count: String(g.count), turns: String(g.turns), sample_chat_ids: g.sample_chat_ids.join(' ') })),
    );
    await checkAccessibility(page);

    // The forecast, made at a fixed instant: the collected spend by day, the projection, the budget.
    const now = stack.runtime.now;
    stack.runtime.now = () => NOW;
    try {
      await page.getByRole('button', { name: 'Budget forecast', exact: true }).click();
      const forecast = await api<{ budget_usd: number; spent_usd: number; analytics_cost_usd: number; projected_month_end_usd: number; runs_out_on: string | null }>(
        `/v1/analytics/budget-forecast?app_id=${A}`,
      );
      expect(forecast).toMatchObject({ budget_usd: 0.02, runs_out_on: expect.stringMatching(/^2026-04-/) });
      const days = (await api<{ rows: { key: string; billed_cost_nanos: number }[] }>(`/v1/analytics/cost?from=2026-04-01T00:00:00Z&to=2026-04-03T00:00:00.001Z&group_by=day&app_id=${A}`)).rows;
      expect(days.map((d) => d.key)).toEqual(['2026-04-01', '2026-04-02']);
      await page.locator('[data-report="forecast"]').waitFor();
      expect(await page.locator('[data-figure="projected"]').innerText()).toBe(`$${forecast.projected_month_end_usd.toFixed(4)}`);
      expect(await page.locator('[data-figure="runs-out"]').innerText()).toBe(forecast.runs_out_on);
      await expect.poll(() => seriesPixels(page, '[data-chart="forecast"] canvas')).toBeGreaterThan(20);
      const csv = await download(page, page.locator('[data-report="forecast"]').getByRole('link', { name: 'Download CSV' }));
      expect(csv.name).toBe(`forecast-${A}-2026-04-01-2026-04-03.csv`);
      const points = records(csv.lines);
      // 1 April to 1 May, day by day (the forecast's instant is 3 April's start).
      expect(points.map((p) => p.time)).toEqual(Array.from({ length: 31 }, (_d, i) => new Date(Date.parse('2026-04-01T00:00:00Z') + i * 86_400_000).toISOString()));
      const nanos = (through: number) => days.slice(0, through).reduce((sum, d) => sum + d.billed_cost_nanos, 0) / 1e9;
      expect(points.slice(0, 3).map((p) => Number(p.collected_usd))).toEqual([0, nanos(1), nanos(2)]);
      expect(Number(points[2]!.collected_usd)).toBe(forecast.analytics_cost_usd);
      expect(points.slice(3).every((p) => p.collected_usd === '')).toBe(true);
      expect(points.slice(0, 2).every((p) => p.projected_usd === '')).toBe(true);
      expect(Number(points[2]!.projected_usd)).toBe(forecast.spent_usd);
      expect(Number(points.at(-1)!.projected_usd)).toBe(forecast.projected_month_end_usd);
      expect(points.every((p) => p.budget_usd === '0.02')).toBe(true);
      await checkAccessibility(page);
    } finally {
      stack.runtime.now = now;
    }

    // A sample chat's link opens it on the Chats page.
    await page.getByRole('button', { name: 'Errors', exact: true }).click();
    const first = failures.groups[0]!.sample_chat_ids[0]!;
    await page.locator('[data-report="errors"]').getByRole('link', { name: first, exact: true }).first().click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/console/chats/${first}`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("an app owner sees its own app's reports only, with no App field, and no other app's by a direct call with its cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAt(page, stack.url, keyA);
    await page.goto(`${stack.url}/console/analytics`);
    expect(await page.getByLabel('App', { exact: true }).count()).toBe(0);
    await showRange(page, false);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const own = (await api<{ rows: Row[] }>(`/v1/analytics/cost?${RANGE}&group_by=day`, keyA)).rows;
    await expect.poll(() => keysOf(page, 'figure')).toEqual(own.map((r) => r.key));
    expect(await page.locator('figcaption').innerText()).toContain(`${A}:`);
    await page.getByRole('button', { name: 'Engagement', exact: true }).click();
    await page.locator('[data-report="engagement"]').waitFor();
    expect(await page.locator('[data-figure="active-users"] figcaption').innerText()).toContain(`${A}:`);
    await page.getByRole('button', { name: 'Errors', exact: true }).click();
    await expect.poll(() => page.locator('[data-report="errors"]').innerText()).toContain(`${A}:`);
    await page.getByRole('button', { name: 'Budget forecast', exact: true }).click();
    await expect.poll(() => page.locator('[data-report="forecast"] figcaption').innerText()).toContain(`${A}:`);
    await checkAccessibility(page);

    // A preset: the last 7 days (UTC) up to today, shown at once (nothing seeded there).
    await page.getByRole('button', { name: 'Cost', exact: true }).click();
    await page.getByRole('button', { name: 'Last 7 days', exact: true }).click();
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(new Date(today - 6 * 86_400_000).toISOString().slice(0, 10));
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(new Date(today).toISOString().slice(0, 10));
    await page.getByText('No cost in this range.').waitFor();

    const statuses = await page.evaluate(async ([own, other, range]) => {
      const paths = ['cost', 'usage', 'performance', 'engagement', 'errors'].map((r) => `/v1/analytics/${r}?${range}&`).concat('/v1/analytics/budget-forecast?');
      const status = async (p: string, app: string) => (await fetch(`${p}app_id=${app}`)).status;
      return Promise.all(paths.map(async (p) => [await status(p, own!), await status(p, other!)]));
    }, [A, B, RANGE]);
    // Each report answers the owner for its own app and refuses the other one.
    expect(statuses).toEqual(Array(6).fill([200, 404]));
    await context.close();
  });
});
