/**
 * Rollups. Each closed UTC hour is rolled up from its events (read with FINAL) right after its ETL
 * (`aggregateHour`); the daily job (`aggregateDay`) merges the day's 24 hourly partials — sums and
 * bfloat16 quantile states, both merged exactly — after rolling up again, from the events, any hour
 * that has no rollup or was written to since its rollup's snapshot (`usage_hour_writes`).
 * Each rollup is written under a fresh run id and its run recorded last; readers use only the
 * latest recorded run of an hour or day, so a rerun replaces it atomically for them. Rows of runs
 * older than the one just recorded are deleted.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { dayWindow, HOUR_MS, hoursOf, iso } from '../../domain/analytics';
import type { ClickHouseStore } from '../../stores/clickhouse';
import { MEASURE_COLUMNS, measuresFrom } from '../../stores/usage-measures';
import { activityContext } from './activity-context';
import { chDateTime } from './clickhouse-batch';
import type { AnalyticsDeps } from './deps';

export interface AggregateHourResult {
  hour: string;
  run_id: string;
  events: number;
  groups: number;
}

export interface AggregateDayResult {
  day: string;
  run_id: string;
  events: number;
  groups: number;
  /** Hours this run rolled up from the events (no hourly rollup yet, or written to since). */
  hours_rolled_up: number;
}

type Deps = Pick<AnalyticsDeps, 'clickhouse'>;

const DIMENSIONS = 'app_id, model, template, user_pseudonym';
/** `2026-05-02 13:00:00`: a DateTime parameter. */
const chSeconds = (ms: number) => chDateTime(ms).slice(0, 19);

/** Rolls up one UTC hour (`hour`: its start, ISO) from the events. */
export async function aggregateHour(deps: Deps, hour: string): Promise<AggregateHourResult> {
  const from = Date.parse(hour);
  if (!Number.isFinite(from) || from % HOUR_MS !== 0) {
    throw ApplicationFailure.create({ type: 'invalid_window', message: `not the start of a UTC hour: ${hour}`, nonRetryable: true });
  }
  const ch = deps.clickhouse;
  const runId = `${iso(from)}:${randomUUID()}`;
  const key = chSeconds(from);
  // Server time before the events are read: a write marked at or after it may be missing here.
  const snapshotAt = await serverNow(ch);
  await ch.client.command({
    query: `INSERT INTO ${ch.table('hourly_app_usage')} (${DIMENSIONS}, hour, run_id, ${MEASURE_COLUMNS})
      SELECT ${DIMENSIONS}, {key:DateTime}, {run:String}, ${measuresFrom('raw')}
      FROM ${ch.table('usage_events')} FINAL
      WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
      GROUP BY ${DIMENSIONS}
      SETTINGS do_not_merge_across_partitions_select_final = 1`,
    query_params: { key, run: runId, from: chDateTime(from), to: chDateTime(from + HOUR_MS) },
  });
  const totals = await recordRun(ch, { rows: 'hourly_app_usage', runs: 'hourly_rollup_runs', column: 'hour', type: 'DateTime' }, key, runId, {
    snapshot_at: snapshotAt,
  });
  return { hour: iso(from), run_id: runId, ...totals };
}

/** Merges of a day tried before giving up (a retry of the activity starts over). */
const DAY_MERGE_ATTEMPTS = 3;

/** Rolls up one UTC day (`yyyy-mm-dd`) from its hourly rollups. */
export async function aggregateDay(deps: Deps, day: string): Promise<AggregateDayResult> {
  const ch = deps.clickhouse;
  const window = dayWindow(day);
  let rolledUp = 0;
  for (let attempt = 1; ; attempt++) {
    const latest = await latestHourRuns(ch, window.from, window.to);
    const merged = new Map<number, string>();
    for (const hour of hoursOf(window)) {
      const run = latest.get(hour.from);
      if (run?.current) {
        merged.set(hour.from, run.run_id);
        continue;
      }
      merged.set(hour.from, (await aggregateHour(deps, iso(hour.from))).run_id);
      rolledUp += 1;
      activityContext()?.heartbeat({ hours_rolled_up: rolledUp }); // a day of hours may take a while
    }
    const runId = `${day}:${randomUUID()}`;
    await ch.client.command({
      query: `INSERT INTO ${ch.table('daily_app_usage')} (${DIMENSIONS}, day, run_id, ${MEASURE_COLUMNS}, computed_at)
        SELECT ${DIMENSIONS}, {day:Date}, {run:String}, ${measuresFrom('merged')}, now64(3)
        FROM ${ch.table('hourly_app_usage')}
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime} AND run_id IN {hour_runs:Array(String)}
        GROUP BY ${DIMENSIONS}`,
      query_params: { day, run: runId, from: chSeconds(window.from), to: chSeconds(window.to), hour_runs: [...merged.values()] },
    });
    // An hour rolled up again meanwhile (a backfill) deletes the rows of the run merged here once
    // it is recorded: then this merge may have missed them, and is done again.
    const after = await latestHourRuns(ch, window.from, window.to);
    if ([...merged].every(([hour, run]) => after.get(hour)?.run_id === run)) {
      const totals = await recordRun(ch, { rows: 'daily_app_usage', runs: 'daily_rollup_runs', column: 'day', type: 'Date' }, day, runId);
      return { day, run_id: runId, ...totals, hours_rolled_up: rolledUp };
    }
    await ch.client.command({
      query: `DELETE FROM ${ch.table('daily_app_usage')} WHERE day = {day:Date} AND run_id = {run:String}`,
      query_params: { day, run: runId },
    });
    if (attempt >= DAY_MERGE_ATTEMPTS) throw new Error(`the hourly rollups of ${day} kept changing during ${attempt} merges`);
  }
}

/** The latest hourly run of each hour in `[from, to)`, by hour start; `current` unless a write
 * was marked at or after its snapshot. */
async function latestHourRuns(ch: ClickHouseStore, from: number, to: number): Promise<Map<number, { run_id: string; current: boolean }>> {
  // An hour never marked as written joins with the default written_at (1970): current.
  const result = await ch.client.query({
    query: `SELECT toUnixTimestamp(r.hour) * 1000 AS hour, r.run_id AS run_id, w.written_at < r.snapshot_at AS current
      FROM (
        SELECT hour, argMax(run_id, computed_at) AS run_id, argMax(snapshot_at, computed_at) AS snapshot_at
        FROM ${ch.table('hourly_rollup_runs')}
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
        GROUP BY hour
      ) AS r
      LEFT JOIN (
        SELECT hour, max(written_at) AS written_at FROM ${ch.table('usage_hour_writes')}
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
        GROUP BY hour
      ) AS w ON r.hour = w.hour`,
    query_params: { from: chSeconds(from), to: chSeconds(to) },
    format: 'JSONEachRow',
    clickhouse_settings: { join_use_nulls: 0, output_format_json_quote_64bit_integers: 0 },
  });
  const rows = await result.json<{ hour: number; run_id: string; current: number | boolean }>();
  return new Map(rows.map((row) => [Number(row.hour), { run_id: row.run_id, current: Boolean(Number(row.current)) }]));
}

async function serverNow(ch: ClickHouseStore): Promise<string> {
  const result = await ch.client.query({ query: 'SELECT toString(now64(3)) AS now', format: 'JSONEachRow' });
  const [row] = await result.json<{ now: string }>();
  if (!row) throw new Error('ClickHouse returned no time');
  return row.now;
}

interface RunTables {
  rows: string;
  runs: string;
  column: 'hour' | 'day';
  type: 'DateTime' | 'Date';
}

/** Records a finished run of one hour or day, then deletes the rows of that key's older runs. */
async function recordRun(
  ch: ClickHouseStore,
  tables: RunTables,
  key: string,
  runId: string,
  extra: Record<string, string> = {},
): Promise<{ events: number; groups: number }> {
  const { column, type } = tables;
  const params = { key, run: runId };
  const totals = await ch.client.query({
    query: `SELECT sum(calls) AS events, count() AS groups, toString(now64(3)) AS now FROM ${ch.table(tables.rows)}
      WHERE ${column} = {key:${type}} AND run_id = {run:String}`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const [row] = await totals.json<{ events: number; groups: number; now: string }>();
  const events = Number(row?.events ?? 0);
  const computedAt = row?.now ?? chDateTime(Date.now());
  await ch.client.insert({
    table: ch.table(tables.runs),
    values: [{ [column]: key, run_id: runId, events, computed_at: computedAt, ...extra }],
    format: 'JSONEachRow',
  });
  // Only runs recorded before this one: a concurrent rerun's rows stay until a later one replaces them.
  const older = await ch.client.query({
    query: `SELECT DISTINCT run_id FROM ${ch.table(tables.runs)} WHERE ${column} = {key:${type}} AND computed_at < {at:DateTime64(3)}`,
    query_params: { key, at: computedAt },
    format: 'JSONEachRow',
  });
  const stale = (await older.json<{ run_id: string }>()).map((r) => r.run_id);
  if (stale.length > 0) {
    await ch.client.command({
      query: `DELETE FROM ${ch.table(tables.rows)} WHERE ${column} = {key:${type}} AND run_id IN {stale:Array(String)}`,
      query_params: { key, stale },
    });
  }
  return { events, groups: Number(row?.groups ?? 0) };
}
