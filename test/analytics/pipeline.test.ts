/**
 * The analytics pipeline on real stores (FerretDB, chDB) without Temporal: ETL windows in batches,
 * idempotent re-runs (ReplacingMergeTree and insert deduplication), resuming after the last
 * committed batch, pseudonyms, hourly and daily rollups, reads exact across the rollup/raw seam,
 * re-pricing.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateDay, aggregateHour } from '../../src/activities/analytics/aggregate';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import type { AnalyticsDeps } from '../../src/activities/analytics/deps';
import { etlWindow, listEtlApps, type EtlProgress, type EtlWindowResult } from '../../src/activities/analytics/etl';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { buildPriceBook, parsePriceOverrides } from '../../src/domain/pricing';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { queryAnalytics } from '../../src/stores/analytics-queries';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { services, uniqueName } from '../support/services';
import { openTestClickHouse, registerApp, scalar, seedUsage, usageEvents } from './support';

const APP = 'acme';
const FROM = '2026-01-01T12:00:00.000Z';
const TO = '2026-01-03T12:00:00.000Z';
let mongo: MongoStores;
let ch: ClickHouseStore;
let deps: AnalyticsDeps;
const docs = usageEvents(APP, FROM, TO, 10); // 288 events over three days

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('analytics') }));
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  ch = await openTestClickHouse('pipeline');
  deps = {
    mongo,
    clickhouse: ch,
    pseudonymize: pseudonymizer('test-pseudonym-key-0123456789'),
    priceBook: buildPriceBook(),
    archive: localDirSink(`${services().runDir}/archive-${uniqueName('p')}`),
    batchRows: 50,
  };
  await registerApp(mongo, APP, 'pro');
  await seedUsage(mongo, docs);
  // Another app's events must never land in acme's rows.
  await registerApp(mongo, 'other', 'free');
  await seedUsage(mongo, usageEvents('other', FROM, TO, 60));
});

afterAll(async () => {
  await ch?.close();
  await mongo?.close();
});

const count = (final = true) =>
  scalar(ch, `SELECT count() FROM tessera.usage_events ${final ? 'FINAL' : ''} WHERE app_id = {app:String}`, { app: APP });

describe('the ETL window', () => {
  it('lists registered apps and the system app', async () => {
    expect(await listEtlApps(deps)).toEqual(['acme', 'other', '_system']);
  });

  it('copies every event once, in bounded batches, and a rerun adds nothing', async () => {
    const first = await etlWindow(deps, { appId: APP, source: 'usage', from: FROM, to: TO, mode: 'etl' });
    expect(first).toEqual({ rows: docs.length, batches: Math.ceil(docs.length / 50), resumed: false });
    expect(await count()).toBe(docs.length);
    const again = await etlWindow(deps, { appId: APP, source: 'usage', from: FROM, to: TO, mode: 'etl' });
    expect(again.rows).toBe(docs.length);
    // Identical batches are dropped by insert deduplication: not even unmerged duplicates remain.
    expect(await count(false)).toBe(docs.length);
    expect(await count()).toBe(docs.length);
  });

  it('pseudonymizes users and carries no message text', async () => {
    await etlWindow(deps, { appId: 'other', source: 'usage', from: FROM, to: TO, mode: 'etl' });
    const users = await ch.client.query({ query: 'SELECT DISTINCT user_pseudonym AS u FROM tessera.usage_events ORDER BY u', format: 'JSONEachRow' });
    const pseudonyms = (await users.json<{ u: string }>()).map((row) => row.u);
    expect(pseudonyms).toHaveLength(6); // 3 users in each of two apps: the same id differs per app
    for (const p of pseudonyms) expect(p).toMatch(/^[0-9a-f]{32}$/);
    expect(pseudonyms).toContain(deps.pseudonymize(APP, 'u1'));
  });

  it('resumes after the last committed batch of a previous attempt', async () => {
    const sorted = [...docs].sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.event_id.localeCompare(b.event_id));
    const lastDone = sorted[99];
    if (!lastDone) throw new Error('seed too small');
    const progress: EtlProgress = { after_ts: lastDone.ts.toISOString(), after_id: lastDone.event_id, rows: 100, batches: 2 };
    const env = new MockActivityEnvironment({ heartbeatDetails: progress });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const result = (await env.run(() => etlWindow(deps, { appId: APP, source: 'usage', from: FROM, to: TO, mode: 'etl' }))) as EtlWindowResult;
    expect(result.resumed).toBe(true);
    expect(result.rows).toBe(docs.length); // 100 before + the rest now
    expect(beats.length).toBe(Math.ceil((docs.length - 100) / 50));
    expect(await count()).toBe(docs.length);
  });
});

describe('rollups and reads', () => {
  it('serves whole days from the rollup and the rest raw, with the same totals as the raw events', async () => {
    const rollup = await aggregateDay(deps, '2026-01-02');
    expect(rollup.events).toBe(144 + 24); // every app's events of the day (acme every 10 min, other hourly)
    expect(rollup.hours_rolled_up).toBe(24); // no hourly rollups yet: the daily job made them
    const range = { from: Date.parse('2026-01-01T18:00:00Z'), to: Date.parse('2026-01-03T06:00:00Z') };
    const read = await queryAnalytics(ch, { appId: APP, range, groupBy: 'day' });
    expect(read.sources).toEqual({ rollup_days: ['2026-01-02'], raw_windows: 2 });
    const expected = docs.filter((d) => d.ts.getTime() >= range.from && d.ts.getTime() < range.to);
    const sum = (pick: (d: (typeof docs)[number]) => number) => expected.reduce((s, d) => s + pick(d), 0);
    const total = (field: 'calls' | 'input_tokens' | 'cost_nanos' | 'errors' | 'turns') => read.rows.reduce((s, r) => s + r[field], 0);
    expect(read.rows.map((r) => r.key)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect(total('calls')).toBe(expected.length);
    expect(total('turns')).toBe(expected.length);
    expect(total('input_tokens')).toBe(sum((d) => d.input_tokens));
    expect(total('cost_nanos')).toBe(sum((d) => d.cost_nanos));
    expect(total('errors')).toBe(expected.filter((d) => d.status === 'error').length);
    const day2 = read.rows[1];
    expect(day2?.latency_ms[0]).toBeGreaterThan(200);
    expect(day2?.latency_ms[2]).toBeGreaterThanOrEqual(day2?.latency_ms[0] ?? Infinity);
    expect(day2?.unpriced_calls).toBe(48); // every third event is an unknown model: unpriced, not free
    expect(day2?.unestimated_calls).toBe(48);
    expect(day2?.energy_wh).toBeGreaterThan(0);

    // The same range grouped by model, by user and by hour (raw only) adds up the same.
    for (const groupBy of ['model', 'user', 'hour', 'template'] as const) {
      const other = await queryAnalytics(ch, { appId: APP, range, groupBy });
      expect(other.rows.reduce((s, r) => s + r.cost_nanos, 0)).toBe(sum((d) => d.cost_nanos));
      expect(other.rows.reduce((s, r) => s + r.calls, 0)).toBe(expected.length);
    }
  });

  it('a rerun of the rollup replaces the day for readers', async () => {
    const before = await queryAnalytics(ch, { appId: APP, range: { from: Date.parse('2026-01-02T00:00:00Z'), to: Date.parse('2026-01-03T00:00:00Z') }, groupBy: 'model' });
    await aggregateDay(deps, '2026-01-02');
    const after = await queryAnalytics(ch, { appId: APP, range: { from: Date.parse('2026-01-02T00:00:00Z'), to: Date.parse('2026-01-03T00:00:00Z') }, groupBy: 'model' });
    // Sums and the bfloat16 quantile states merge exactly: the rerun reads the same in every field.
    expect(after.rows).toEqual(before.rows);
    expect(after.sources.rollup_days).toEqual(['2026-01-02']);
  });

  it('the daily job merges the hourly rollups, rolling up again only an hour written to since its rollup', async () => {
    const day = { from: Date.parse('2026-01-02T00:00:00Z'), to: Date.parse('2026-01-03T00:00:00Z') };
    for (let hour = day.from; hour < day.to; hour += 3_600_000) await aggregateHour(deps, new Date(hour).toISOString());
    const merged = await aggregateDay(deps, '2026-01-02');
    expect(merged.hours_rolled_up).toBe(0);
    expect(merged.events).toBe(144 + 24);

    // Re-pricing one hour writes it again: that hour alone is rolled up again, and the day reads
    // exactly what the events say (sums, and percentiles identical to ones over the raw events).
    const priced = buildPriceBook(parsePriceOverrides({ entries: [{ provider: 'lab', model: 'mystery-model', effective_from: '2025-01-01', input: '3', output: '5' }] }));
    await etlWindow({ ...deps, priceBook: priced }, { appId: APP, source: 'usage', from: '2026-01-02T05:00:00.000Z', to: '2026-01-02T06:00:00.000Z', mode: 'reprice' });
    const again = await aggregateDay(deps, '2026-01-02');
    expect(again.hours_rolled_up).toBe(1);
    const read = await queryAnalytics(ch, { appId: APP, range: day, groupBy: 'model' });
    expect(read.sources).toEqual({ rollup_days: ['2026-01-02'], raw_windows: 0 });
    const direct = await ch.client.query({
      query: `SELECT toString(model) AS key, count() AS calls, sum(cost_nanos) AS cost, sum(billed_cost_nanos) AS billed,
                quantilesBFloat16(0.5, 0.95, 0.99)(latency_ms) AS latency, quantilesBFloat16If(0.5, 0.95, 0.99)(ttft_ms, ttft_ms > 0) AS ttft
              FROM tessera.usage_events FINAL
              WHERE app_id = {app:String} AND ts >= '2026-01-02 00:00:00' AND ts < '2026-01-03 00:00:00'
              GROUP BY key ORDER BY key`,
      query_params: { app: APP },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const expected = await direct.json<{ key: string; calls: number; cost: number; billed: number; latency: number[]; ttft: number[] }>();
    expect(read.rows.map((r) => [r.key, r.calls, r.cost_nanos, r.billed_cost_nanos, r.latency_ms, r.ttft_ms])).toEqual(
      expected.map((r) => [r.key, r.calls, r.cost, r.billed, r.latency, r.ttft]),
    );
    const mystery = read.rows.find((r) => r.key === 'mystery-model');
    expect(mystery?.cost_nanos).toBeGreaterThan(0); // the re-priced hour is in the day
  });

  it('refuses an hour that does not start on the hour', async () => {
    await expect(aggregateHour(deps, '2026-01-02T05:30:00.000Z')).rejects.toMatchObject({ type: 'invalid_window', nonRetryable: true });
  });

  it('re-prices through the ETL path, keeping the billed figure', async () => {
    const priced = buildPriceBook(parsePriceOverrides({ entries: [{ provider: 'lab', model: 'mystery-model', effective_from: '2025-01-01', input: '1', output: '2' }] }));
    await etlWindow({ ...deps, priceBook: priced }, { appId: APP, source: 'usage', from: FROM, to: TO, mode: 'reprice' });
    // A plain ETL run afterwards does not undo the re-pricing.
    await etlWindow(deps, { appId: APP, source: 'usage', from: FROM, to: TO, mode: 'etl' });
    const mystery = await ch.client.query({
      query: `SELECT sum(cost_nanos) AS cost, sum(billed_cost_nanos) AS billed, countIf(NOT priced) AS unpriced, any(price_table_version) AS v
              FROM tessera.usage_events FINAL WHERE app_id = {app:String} AND model = 'mystery-model'`,
      query_params: { app: APP },
      format: 'JSONEachRow',
    });
    const [row] = await mystery.json<{ cost: number; billed: number; unpriced: number; v: string }>();
    expect(Number(row?.cost)).toBeGreaterThan(0);
    expect(Number(row?.billed)).toBe(0);
    expect(Number(row?.unpriced)).toBe(0);
    expect(row?.v).toBe(priced.version);
    expect(await count()).toBe(docs.length);
  });
});
