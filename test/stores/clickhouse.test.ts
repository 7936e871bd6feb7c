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
