/**
 * Cost, usage and performance (`GET /v1/analytics/{cost,usage,performance}`): a chart (lines over
 * days or hours; bars over models, templates or users, largest first), its data table and the
 * table's CSV. What each report charts and lists is declared once, in REPORTS.
 */
import { useMemo } from 'preact/hooks';
import { Chart, type ChartSeries } from './chart';
import { csvFileName, CsvLink, DataTable, type Column } from './chart-table';

export type SeriesReport = 'cost' | 'usage' | 'performance';
export type GroupBy = 'day' | 'hour' | 'model' | 'template' | 'user';
export const GROUPS: GroupBy[] = ['day', 'hour', 'model', 'template', 'user'];

interface Quantiles { p50: number; p95: number; p99: number }
export interface CostRow { key: string; calls: number; cost_usd: number; unpriced_calls: number }
export interface UsageRow { key: string; turns: number; calls: number; input_tokens: number; cached_input_tokens: number; output_tokens: number; energy_wh: number; co2e_g: number; unestimated_calls: number }
export interface PerformanceRow { key: string; calls: number; errors: number; error_rate: number; latency_ms: Quantiles; ttft_ms: Quantiles }
type AnyRow = CostRow | UsageRow | PerformanceRow;

export interface SeriesData { app_id: string; from: string; to: string; group_by: GroupBy; rows: AnyRow[] }

interface Report<Row> {
  title: string;
  /** Measures the chart draws (bars: the first only). */
  series: { label: string; value: (row: Row) => number }[];
  columns: Column<Row>[];
  format: (value: number) => string;
  /** What a day or hour without a row is on the chart: nothing happened (0), or nothing to measure (a gap). */
  empty: 0 | null;
  summary: (rows: Row[], unit: string) => string;
}

const usd = (v: number) => `$${v.toFixed(4)}`;
const count = (v: number) => v.toLocaleString('en');
const ms = (v: number) => `${Math.round(v)} ms`;
const sum = <Row,>(rows: Row[], f: (r: Row) => number) => rows.reduce((total, r) => total + f(r), 0);
const col = <Row,>(csv: string, title: string, value: (r: Row) => number, shown: (v: number) => string = count): Column<Row> => ({
  csv,
  title,
  value,
  cell: (r) => shown(value(r)),
});

const COST: Report<CostRow> = {
  title: 'Cost',
  series: [{ label: 'Cost (USD)', value: (r) => r.cost_usd }],
  columns: [
    col('calls', 'Calls', (r) => r.calls),
    col('cost_usd', 'Cost (USD)', (r) => r.cost_usd, (v) => v.toFixed(6)),
    col('unpriced_calls', 'Unpriced calls', (r) => r.unpriced_calls),
  ],
  format: usd,
  empty: 0,
  summary: (rows, unit) => `${usd(sum(rows, (r) => r.cost_usd))} over ${rows.length} ${unit}(s).`,
};

const USAGE: Report<UsageRow> = {
  title: 'Usage',
  series: [
    { label: 'Input tokens', value: (r) => r.input_tokens },
    { label: 'Output tokens', value: (r) => r.output_tokens },
  ],
  columns: [
    col('turns', 'Turns', (r) => r.turns),
    col('calls', 'Calls', (r) => r.calls),
    col('input_tokens', 'Input tokens', (r) => r.input_tokens),
    col('cached_input_tokens', 'Cached input tokens', (r) => r.cached_input_tokens),
    col('output_tokens', 'Output tokens', (r) => r.output_tokens),
    col('energy_wh', 'Energy (Wh)', (r) => r.energy_wh, (v) => v.toFixed(3)),
    col('co2e_g', 'CO2e (g)', (r) => r.co2e_g, (v) => v.toFixed(3)),
    col('unestimated_calls', 'Unestimated calls', (r) => r.unestimated_calls),
  ],
  format: count,
  empty: 0,
  summary: (rows, unit) => `${count(sum(rows, (r) => r.turns))} turns, ${count(sum(rows, (r) => r.input_tokens + r.output_tokens))} tokens over ${rows.length} ${unit}(s).`,
};

const PERFORMANCE: Report<PerformanceRow> = {
  title: 'Performance',
  series: [
    { label: 'Latency p50 (ms)', value: (r) => r.latency_ms.p50 },
    { label: 'Latency p95 (ms)', value: (r) => r.latency_ms.p95 },
    { label: 'Latency p99 (ms)', value: (r) => r.latency_ms.p99 },
  ],
  columns: [
    col('calls', 'Calls', (r) => r.calls),
    col('errors', 'Errors', (r) => r.errors),
    col('error_rate', 'Error rate', (r) => r.error_rate, (v) => `${(v * 100).toFixed(1)}%`),
    ...(['p50', 'p95', 'p99'] as const).map((q) => col<PerformanceRow>(`latency_ms_${q}`, `Latency ${q}`, (r) => r.latency_ms[q], ms)),
    ...(['p50', 'p95', 'p99'] as const).map((q) => col<PerformanceRow>(`ttft_ms_${q}`, `First token ${q}`, (r) => r.ttft_ms[q], ms)),
  ],
  format: ms,
  empty: null,
  summary: (rows, unit) => `${count(sum(rows, (r) => r.calls))} calls, ${count(sum(rows, (r) => r.errors))} errors over ${rows.length} ${unit}(s).`,
};

export const REPORTS = { cost: COST, usage: USAGE, performance: PERFORMANCE } as unknown as Record<SeriesReport, Report<AnyRow>>;

const isTime = (g: GroupBy) => g === 'day' || g === 'hour';
const instant = (key: string) => Date.parse(key.length === 10 ? `${key}T00:00:00Z` : key);
const STEP = { day: 86_400_000, hour: 3_600_000 };

/** Every day or hour of the range (the API lists only those with calls), each with its row if any. */
function timeSlots<Row extends { key: string }>(rows: Row[], group: 'day' | 'hour', range: { from: string; to: string }): { time: number[]; rows: (Row | undefined)[] } {
  const byTime = new Map(rows.map((r) => [instant(r.key), r]));
  const time: number[] = [];
  for (let t = Date.parse(range.from); t < Date.parse(range.to); t += STEP[group]) time.push(t);
  for (const t of byTime.keys()) if (!time.includes(t)) time.push(t);
  time.sort((a, b) => a - b);
  return { time: time.map((t) => t / 1000), rows: time.map((t) => byTime.get(t)) };
}

/** `cost-<app>-<from>-<to>.csv` by day; `cost-by-model-<app>-<from>-<to>.csv` otherwise. */
export const csvName = (report: string, group: GroupBy, data: { app_id: string; from: string; to: string }) =>
  csvFileName(group === 'day' ? report : `${report}-by-${group}`, data);

export function SeriesView({ report: name, data }: { report: SeriesReport; data: SeriesData }) {
  const report = REPORTS[name];
  const group = data.group_by;
  const rows = useMemo(() => {
    const first = report.series[0]!.value;
    return isTime(group) ? [...data.rows].sort((a, b) => a.key.localeCompare(b.key)) : [...data.rows].sort((a, b) => first(b) - first(a) || a.key.localeCompare(b.key));
  }, [data, report, group]);
  const columns = useMemo(() => [{ csv: group, title: group[0]!.toUpperCase() + group.slice(1), value: (r: AnyRow) => r.key }, ...report.columns], [report, group]);
  const { x, series } = useMemo(() => {
    if (group !== 'day' && group !== 'hour') {
      const bars: ChartSeries[] = report.series.slice(0, 1).map((s) => ({ label: s.label, values: rows.map(s.value) }));
      return { x: { categories: rows.map((r) => r.key) }, series: bars };
    }
    const slots = timeSlots(rows, group, data);
    const lines: ChartSeries[] = report.series.map((s) => ({ label: s.label, values: slots.rows.map((r) => (r ? s.value(r) : report.empty)) }));
    return { x: { time: slots.time }, series: lines };
  }, [rows, report, group, data]);

  if (rows.length === 0) return <p>No {report.title.toLowerCase()} in this range.</p>;
  const drawn = series.map((s) => s.label).join(', ');
  return (
    <figure>
      <Chart name={name} label={`${report.title}: ${drawn} by ${group}, ${rows.length} ${group}s`} x={x} series={series} format={report.format} />
      <figcaption>
        {data.app_id}: {report.summary(rows, group)} <CsvLink columns={columns} rows={rows} filename={csvName(name, group, data)} />
      </figcaption>
      <details>
        <summary>Data</summary>
        <DataTable caption={`${report.title} by ${group}`} columns={columns} rows={rows} rowKey={(r) => r.key} keyAttribute={group} />
      </details>
    </figure>
  );
}
