import { afterAll, beforeAll, expect, it } from 'vitest';
import { openClickHouse, type ClickHouseStore } from '../../src/stores/clickhouse';
import { appliedMigrationVersions, migrateClickHouse } from '../../src/stores/clickhouse-migrate';
import { clickHouseMigrations } from '../../src/stores/clickhouse-migrations';
import { chdbDir } from '../support/services';

let ch: ClickHouseStore;

beforeAll(async () => {
  ch = await openClickHouse({ database: 'tessera_test', chdbPath: chdbDir('clickhouse') });
});

afterAll(async () => {
  await ch?.close();
});

it('applies every migration once and records it', async () => {
  const first = await migrateClickHouse(ch);
  expect(first.applied).toEqual(clickHouseMigrations.map((m) => m.version));
  const second = await migrateClickHouse(ch);
  expect(second.applied).toEqual([]);
  expect(await appliedMigrationVersions(ch)).toEqual(clickHouseMigrations.map((m) => m.version));
});

it('round-trips rows with bound parameters and dedups replayed inserts by key', async () => {
  const row = {
    event_id: 'e1',
    app_id: 'acme',
    ts: '2026-11-21 10:00:00.000',
    model: 'gpt-4.1-mini',
    input_tokens: 120,
    output_tokens: 30,
    cost_nanos: 96000,
    priced: true,
    status: 'ok',
  };
  // The same event inserted twice (a retried ETL batch) must count once after merge.
  await ch.client.insert({ table: ch.table('usage_events'), values: [row], format: 'JSONEachRow' });
  await ch.client.insert({ table: ch.table('usage_events'), values: [row], format: 'JSONEachRow' });
  const result = await ch.client.query({
    query: `SELECT count() AS n, sum(input_tokens) AS input FROM ${ch.table('usage_events')} FINAL
            WHERE app_id = {app:String} AND ts >= {from:DateTime64(3)}`,
    query_params: { app: 'acme', from: '2026-11-21 00:00:00.000' },
    format: 'JSONEachRow',
  });
  // A server quotes 64-bit integers in JSON, chDB does not: compare as numbers.
  const rows = await result.json<{ n: string | number; input: string | number }>();
  expect(rows.map((row) => [Number(row.n), Number(row.input)])).toEqual([[1, 120]]);
});

it('migration 7 clears the t-digest daily rollups (derived data) and gives them bfloat16 states', async () => {
  // chDB allows one data directory per process: another database in it, at schema version 6.
  await ch.client.command({ query: 'CREATE DATABASE IF NOT EXISTS tessera_m7' });
  const older: ClickHouseStore = { ...ch, database: 'tessera_m7', table: (name) => `\`tessera_m7\`.\`${name}\`` };
  await migrateClickHouse(older, clickHouseMigrations.filter((m) => m.version < 7));
  await older.client.command({
    query: `INSERT INTO ${older.table('daily_app_usage')} (app_id, day, run_id, calls, latency_q, ttft_q, computed_at)
            SELECT 'acme', toDate('2026-11-20'), 'r1', 1, quantilesTDigestState(0.5, 0.95, 0.99)(toUInt32(5)),
              quantilesTDigestState(0.5, 0.95, 0.99)(toUInt32(5)), now64(3)`,
  });
  await older.client.insert({
    table: older.table('daily_rollup_runs'),
    values: [{ day: '2026-11-20', run_id: 'r1', events: 1, computed_at: '2026-11-21 00:30:00.000' }],
    format: 'JSONEachRow',
  });
  expect((await migrateClickHouse(older)).applied).toEqual([7]);
  const count = async (table: string) => {
    const result = await older.client.query({ query: `SELECT count() AS n FROM ${older.table(table)}`, format: 'JSONEachRow' });
    return Number((await result.json<{ n: number }>())[0]?.n);
  };
  expect(await count('daily_app_usage')).toBe(0);
  expect(await count('daily_rollup_runs')).toBe(0);
  const columns = await older.client.query({
    query: `SELECT name, type FROM system.columns WHERE database = 'tessera_m7' AND table = 'daily_app_usage' AND name LIKE '%_q' ORDER BY name`,
    format: 'JSONEachRow',
  });
  expect(await columns.json()).toEqual([
    { name: 'latency_q', type: 'AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), UInt32)' },
    { name: 'ttft_q', type: 'AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), UInt32)' },
  ]);
});
