/**
 * Applies pending ClickHouse migrations in order and records each in `schema_migrations`.
 * Safe to run on every start and from several processes: statements are `IF NOT EXISTS` and the
 * migrations table is a ReplacingMergeTree keyed by version.
 */
import type { ClickHouseStore } from './clickhouse';
import { clickHouseMigrations, type ClickHouseMigration } from './clickhouse-migrations';

export async function appliedMigrationVersions(ch: ClickHouseStore): Promise<number[]> {
  const result = await ch.client.query({
    query: `SELECT DISTINCT version FROM ${ch.table('schema_migrations')} ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number }>();
  return rows.map((row) => Number(row.version));
}

export async function migrateClickHouse(
  ch: ClickHouseStore,
  migrations: ClickHouseMigration[] = clickHouseMigrations,
): Promise<{ applied: number[] }> {
  await ch.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${ch.table('schema_migrations')} (
      version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = new Set(await appliedMigrationVersions(ch));
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements((name) => ch.table(name))) {
      await ch.client.command({ query: statement });
    }
    await ch.client.insert({
      table: ch.table('schema_migrations'),
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    applied.push(migration.version);
  }
  return { applied };
}
