/**
 * Analytics reads for one app: whole UTC days come from the latest rollup run of each day
 * (`daily_app_usage`), everything else (partial days, days not rolled up yet, hourly grouping)
 * from the raw events read with FINAL. Both sides produce the same partial aggregates (sums and
 * bfloat16 quantile states, see usage-measures) and are merged once, so totals and percentiles are
 * the same across the seam.
 */
import { splitByDays, type TimeWindow } from '../domain/analytics';
import type { ClickHouseStore } from './clickhouse';
import { finalMeasures, measuresFrom } from './usage-measures';

export const GROUP_BYS = ['day', 'hour', 'model', 'template', 'user'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface AnalyticsRow {
  key: string;
  calls: number;
  turns: number;
  errors: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  billed_cost_nanos: number;
  unpriced_calls: number;
  energy_wh: number;
  unestimated_calls: number;
  latency_ms: [number, number, number];
  ttft_ms: [number, number, number];
}

export interface AnalyticsResult {
  rows: AnalyticsRow[];
  /** Days served from rollups, and raw windows read. */
  sources: { rollup_days: string[]; raw_windows: number };
}

const RAW_KEY: Record<GroupBy, string> = {
  day: 'toString(toDate(ts))',
  hour: "formatDateTime(toStartOfHour(ts), '%Y-%m-%dT%H:00:00Z', 'UTC')",
  model: 'toString(model)',
  template: 'toString(template)',
  user: 'user_pseudonym',
};
const ROLLUP_KEY: Record<Exclude<GroupBy, 'hour'>, string> = {
  day: 'toString(day)',
  model: 'toString(model)',
  template: 'toString(template)',
  user: 'user_pseudonym',
};

const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export async function queryAnalytics(
  ch: ClickHouseStore,
  query: { appId: string; range: TimeWindow; groupBy: GroupBy },
): Promise<AnalyticsResult> {
  const split = query.groupBy === 'hour' ? { days: [], partial: [query.range] } : splitByDays(query.range);
  const runs = split.days.length > 0 ? await latestRuns(ch, split.days) : new Map<string, string>();
  const rolled = split.days.filter((day) => runs.has(day));
  const raw: TimeWindow[] = [...split.partial];
  for (const day of split.days) {
    if (runs.has(day)) continue;
    const from = Date.parse(`${day}T00:00:00.000Z`);
    raw.push({ from, to: from + 86_400_000 });
  }

  const params: Record<string, unknown> = { app: query.appId };
  const parts: string[] = [];
  if (raw.length > 0) {
    const windows = raw.map((window, i) => {
      params[`f${i}`] = chTime(window.from);
      params[`t${i}`] = chTime(window.to);
      return `(ts >= {f${i}:DateTime64(3)} AND ts < {t${i}:DateTime64(3)})`;
    });
    parts.push(`SELECT ${RAW_KEY[query.groupBy]} AS key, ${measuresFrom('raw')}
      FROM ${ch.table('usage_events')} FINAL
      WHERE app_id = {app:String} AND (${windows.join(' OR ')})
      GROUP BY key`);
  }
  if (rolled.length > 0 && query.groupBy !== 'hour') {
    params.days = rolled;
    params.runs = rolled.map((day) => runs.get(day) ?? '');
    parts.push(`SELECT ${ROLLUP_KEY[query.groupBy]} AS key, ${measuresFrom('merged')}
      FROM ${ch.table('daily_app_usage')}
      WHERE app_id = {app:String} AND toString(day) IN {days:Array(String)} AND run_id IN {runs:Array(String)}
      GROUP BY key`);
  }
  if (parts.length === 0) return { rows: [], sources: { rollup_days: [], raw_windows: 0 } };
  const result = await ch.client.query({
    query: `SELECT key, ${finalMeasures()}
      FROM (${parts.join('\nUNION ALL\n')})
      GROUP BY key ORDER BY key`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const rows = await result.json<Record<string, unknown>>();
  return {
    rows: rows.map((row) => ({
      key: String(row.key),
      calls: Number(row.calls),
      turns: Number(row.turns),
      errors: Number(row.errors),
      input_tokens: Number(row.input_tokens),
      cached_input_tokens: Number(row.cached_input_tokens),
      output_tokens: Number(row.output_tokens),
      cost_nanos: Number(row.cost_nanos),
      billed_cost_nanos: Number(row.billed_cost_nanos),
      unpriced_calls: Number(row.unpriced_calls),
      // Float sums depend on the order of addition: six decimals (µWh) are what the estimate supports.
      energy_wh: Math.round(Number(row.energy_wh) * 1e6) / 1e6,
      unestimated_calls: Number(row.unestimated_calls),
      latency_ms: triple(row.latency_q),
      ttft_ms: triple(row.ttft_q),
    })),
    sources: { rollup_days: rolled, raw_windows: raw.length },
  };
}

function triple(value: unknown): [number, number, number] {
  const list = Array.isArray(value) ? value.map((v) => (Number.isFinite(Number(v)) ? Math.round(Number(v) * 10) / 10 : 0)) : [];
  return [list[0] ?? 0, list[1] ?? 0, list[2] ?? 0];
}

/** The latest finished rollup run of each day, among `days`. */
export async function latestRuns(ch: ClickHouseStore, days: string[]): Promise<Map<string, string>> {
  const result = await ch.client.query({
    query: `SELECT toString(day) AS day, argMax(run_id, computed_at) AS run FROM ${ch.table('daily_rollup_runs')}
      WHERE toString(day) IN {days:Array(String)} GROUP BY day`,
    query_params: { days },
    format: 'JSONEachRow',
  });
  return new Map((await result.json<{ day: string; run: string }>()).map((row) => [row.day, row.run]));
}

/** Deletes one pseudonym's rows of an app from every analytics table; returns rows removed per table. */
export async function eraseAnalyticsUser(ch: ClickHouseStore, appId: string, pseudonym: string): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const [table, column] of [['usage_events', 'user_pseudonym'], ['hourly_app_usage', 'user_pseudonym'], ['daily_app_usage', 'user_pseudonym'], ['audit_events', 'actor_pseudonym']] as const) {
    const before = await ch.client.query({
      query: `SELECT count() AS n FROM ${ch.table(table)} WHERE app_id = {app:String} AND ${column} = {p:String}`,
      query_params: { app: appId, p: pseudonym },
      format: 'JSONEachRow',
    });
    removed[table] = Number((await before.json<{ n: number }>())[0]?.n ?? 0);
    await ch.client.command({
      query: `ALTER TABLE ${ch.table(table)} DELETE WHERE app_id = {app:String} AND ${column} = {p:String}`,
      query_params: { app: appId, p: pseudonym },
      clickhouse_settings: { mutations_sync: '2' },
    });
  }
  return removed;
}
