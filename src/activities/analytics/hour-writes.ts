/**
 * Marks the hours whose events were just written to `usage_events` (`usage_hour_writes`). The mark
 * is inserted after the write committed and stamped by the ClickHouse server, so an hourly rollup
 * whose snapshot (also server time, taken before it read) is not later than an hour's last mark
 * may have missed that write: the daily job then rolls the hour up again from the events.
 */
import { floorTo, HOUR_MS } from '../../domain/analytics';
import type { ClickHouseStore } from '../../stores/clickhouse';
import { chDateTime } from './clickhouse-batch';

/** `first`, `last`: epoch ms of the earliest and latest event written. */
export async function markHoursWritten(ch: ClickHouseStore, first: number, last: number): Promise<void> {
  const values: { hour: string }[] = [];
  for (let hour = floorTo(first, HOUR_MS); hour <= last; hour += HOUR_MS) values.push({ hour: chDateTime(hour).slice(0, 19) });
  if (values.length === 0) return;
  await ch.client.insert({ table: ch.table('usage_hour_writes'), values, format: 'JSONEachRow' });
}
