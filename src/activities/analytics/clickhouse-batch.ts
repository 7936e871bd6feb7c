/**
 * Inserts one ETL batch idempotently. The deduplication token is a digest of the batch's content
 * (without its version column), so a retried batch is dropped by ClickHouse's insert
 * deduplication (`non_replicated_deduplication_window` on the table) while a batch whose content
 * changed (late events, a new price) is written; ReplacingMergeTree then keeps one row per key.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseStore } from '../../stores/clickhouse';

export async function insertBatch<R extends Record<string, unknown>>(
  ch: ClickHouseStore,
  table: string,
  scope: string,
  rows: R[],
  version: number,
): Promise<void> {
  if (rows.length === 0) return;
  const token = `${scope}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
  const values = rows.map((row) => ({ ...row, version }));
  await ch.client.insert({
    table: ch.table(table),
    values,
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: token },
  });
}

/** `2026-11-22 10:00:00.000`: what DateTime64 parses from JSONEachRow. */
export function chDateTime(value: Date | string | number): string {
  const date = value instanceof Date ? value : new Date(value);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
