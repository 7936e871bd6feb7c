/**
 * The budget forecast (`GET /v1/analytics/budget-forecast`): month-to-date spend, its projection to
 * month end at the month's rate so far, the run-out day; charted as the spend analytics collected
 * day by day (`GET /v1/analytics/cost` by day over the month), the projection from the live spend
 * now to month end, and the budget.
 */
import { useMemo } from 'preact/hooks';
import { get } from './api';
import { Chart, type ChartSeries } from './chart';
import { csvFileName, CsvLink, DataTable, type Column } from './chart-table';

export interface ForecastData {
  app_id: string;
  at: string;
  month: string;
  budget_usd: number | null;
  spent_usd: number;
  analytics_cost_usd: number;
  daily_rate_usd: number;
  projected_month_end_usd: number;
  runs_out_on: string | null;
  days_elapsed: number;
  days_in_month: number;
}
interface DayCost { key: string; billed_cost_nanos: number }
export interface ForecastView { forecast: ForecastData; days: DayCost[] }

interface Point { time: string; collected_usd: number | null; projected_usd: number | null; budget_usd: number | null }

const DAY = 86_400_000;
const usd = (v: number | null) => (v === null ? '' : `$${v.toFixed(4)}`);

export async function loadForecast(appParam: Record<string, string>): Promise<ForecastView> {
  const forecast = await get<ForecastData>('/v1/analytics/budget-forecast', appParam);
  // The month so far, as analytics collected it (billed cost, as the forecast counts it).
  const to = new Date(Date.parse(forecast.at) + 1).toISOString();
  const cost = await get<{ rows: DayCost[] }>('/v1/analytics/cost', { ...appParam, from: `${forecast.month}-01T00:00:00Z`, to, group_by: 'day' });
  return { forecast, days: cost.rows };
}

/** Each day's start, `at` and month end: collected spend up to `at`, the projection from `at` on. */
export function forecastPoints({ forecast: f, days }: ForecastView): Point[] {
  const start = Date.parse(`${f.month}-01T00:00:00Z`);
  const at = Date.parse(f.at);
  const end = start + f.days_in_month * DAY;
  const times = new Set<number>([at]);
  for (let i = 0; i <= f.days_in_month; i++) times.add(start + i * DAY);
  const nanosBefore = (t: number) => days.filter((d) => t >= at || Date.parse(`${d.key}T00:00:00Z`) < t).reduce((sum, d) => sum + d.billed_cost_nanos, 0);
  return [...times].sort((a, b) => a - b).map((t) => ({
    time: new Date(t).toISOString(),
    collected_usd: t <= at ? nanosBefore(t) / 1e9 : null,
    projected_usd: t < at ? null : t === end ? f.projected_month_end_usd : f.spent_usd + ((f.projected_month_end_usd - f.spent_usd) * (t - at)) / (end - at),
    budget_usd: f.budget_usd,
  }));
}

const COLUMNS: Column<Point>[] = [
  { csv: 'time', title: 'Time (UTC)', value: (p) => p.time },
  { csv: 'collected_usd', title: 'Collected spend', value: (p) => p.collected_usd, cell: (p) => usd(p.collected_usd) },
  { csv: 'projected_usd', title: 'Projected spend', value: (p) => p.projected_usd, cell: (p) => usd(p.projected_usd) },
  { csv: 'budget_usd', title: 'Budget', value: (p) => p.budget_usd, cell: (p) => usd(p.budget_usd) },
];

export function ForecastPanel({ view }: { view: ForecastView }) {
  const f = view.forecast;
  const points = useMemo(() => forecastPoints(view), [view]);
  const series = useMemo<ChartSeries[]>(
    () => [
      { label: 'Collected spend (USD)', values: points.map((p) => p.collected_usd) },
      { label: 'Projected spend (USD)', values: points.map((p) => p.projected_usd), dashed: true },
      ...(f.budget_usd === null ? [] : [{ label: 'Budget (USD)', values: points.map((p) => p.budget_usd), dashed: true }]),
    ],
    [points, f],
  );
  const x = useMemo(() => ({ time: points.map((p) => Date.parse(p.time) / 1000) }), [points]);
  const runsOut = f.runs_out_on ?? (f.budget_usd === null ? 'no budget set' : 'not this month');
  return (
    <div class="report" data-report="forecast">
      <dl class="figures">
        <div><dt>Month</dt><dd>{f.month}</dd></div>
        <div><dt>Budget</dt><dd data-figure="budget">{f.budget_usd === null ? 'none' : usd(f.budget_usd)}</dd></div>
        <div><dt>Spent this month</dt><dd data-figure="spent">{usd(f.spent_usd)}</dd></div>
        <div><dt>Collected in analytics</dt><dd>{usd(f.analytics_cost_usd)}</dd></div>
        <div><dt>Per day</dt><dd>{usd(f.daily_rate_usd)}</dd></div>
        <div><dt>Projected at month end</dt><dd data-figure="projected">{usd(f.projected_month_end_usd)}</dd></div>
        <div><dt>Budget runs out on</dt><dd data-figure="runs-out">{runsOut}</dd></div>
      </dl>
      <figure>
        <Chart name="forecast" label={`Spend in ${f.month}: collected, projected${f.budget_usd === null ? '' : ' and the budget'}`} x={x} series={series} format={(v) => `$${v.toFixed(2)}`} />
        <figcaption>
          {f.app_id}: {usd(f.spent_usd)} spent by {f.at.replace('T', ' ').slice(0, 16)} UTC, {usd(f.projected_month_end_usd)} projected.{' '}
          <CsvLink columns={COLUMNS} rows={points} filename={csvFileName('forecast', { app_id: f.app_id, from: `${f.month}-01`, to: f.at })} />
        </figcaption>
        <details>
          <summary>Data</summary>
          <DataTable caption={`Spend in ${f.month}`} columns={COLUMNS} rows={points} rowKey={(p) => p.time} />
        </details>
      </figure>
    </div>
  );
}
