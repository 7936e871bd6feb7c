/**
 * Daily rollups: one `INSERT … SELECT` inside ClickHouse over the day's events (deduplicated with
 * FINAL), written under a fresh run id; the run is recorded last, and readers use only each day's
 * latest recorded run, so a rerun replaces a day atomically for readers. Older runs are deleted.
 */
import { randomUUID } from 'node:crypto';
import { dayWindow } from '../../domain/analytics';
import { chDateTime } from './clickhouse-batch';
import type { AnalyticsDeps } from './deps';

export interface AggregateDayResult {
  day: string;
  run_id: string;
  events: number;
  groups: number;
}

export const QUANTILES = 'quantilesTDigest(0.5, 0.95, 0.99)';

export async function aggregateDay(deps: Pick<AnalyticsDeps, 'clickhouse'>, day: string): Promise<AggregateDayResult> {
  const ch = deps.clickhouse;
  const window = dayWindow(day);
  const runId = `${day}:${randomUUID()}`;
  const computedAt = chDateTime(Date.now());
  const params = { from: chDateTime(window.from), to: chDateTime(window.to), run: runId, computed_at: computedAt };
  await ch.client.command({
    query: `INSERT INTO ${ch.table('daily_app_usage')}
      SELECT app_id, toDate(ts) AS day, model, template, user_pseudonym, {run:String} AS run_id,
        count() AS calls, countIf(step = 0) AS turns, countIf(status != 'ok') AS errors,
        sum(input_tokens), sum(cached_input_tokens), sum(output_tokens),
        sum(cost_nanos), sum(billed_cost_nanos), countIf(NOT priced),
        sum(energy_wh), countIf(NOT energy_estimated),
        ${QUANTILES.replace('(', 'State(')}(latency_ms),
        ${QUANTILES.replace('(', 'StateIf(')}(ttft_ms, ttft_ms > 0),
        {computed_at:DateTime64(3)} AS computed_at
      FROM ${ch.table('usage_events')} FINAL
      WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
      GROUP BY app_id, day, model, template, user_pseudonym
      SETTINGS do_not_merge_across_partitions_select_final = 1`,
    query_params: params,
  });
  const totals = await ch.client.query({
    query: `SELECT sum(calls) AS events, count() AS groups FROM ${ch.table('daily_app_usage')}
      WHERE day = {day:Date} AND run_id = {run:String}`,
    query_params: { day, run: runId },
    format: 'JSONEachRow',
  });
  const [row] = await totals.json<{ events: number | string; groups: number | string }>();
  const events = Number(row?.events ?? 0);
  await ch.client.insert({
    table: ch.table('daily_rollup_runs'),
    values: [{ day, run_id: runId, events, computed_at: computedAt }],
    format: 'JSONEachRow',
  });
  // Earlier runs of the day are no longer read; drop their rows.
  await ch.client.command({
    query: `DELETE FROM ${ch.table('daily_app_usage')} WHERE day = {day:Date} AND run_id != {run:String}`,
    query_params: { day, run: runId },
  });
  return { day, run_id: runId, events, groups: Number(row?.groups ?? 0) };
}
