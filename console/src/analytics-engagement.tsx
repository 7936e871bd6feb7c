/**
 * Engagement (`GET /v1/analytics/engagement`): daily, weekly and monthly active users as one chart
 * and one table, sessions per user and turns per session, and the weekly retention cohorts. Users
 * are counted by pseudonym; no id is shown.
 */
import { useMemo } from 'preact/hooks';
import { Chart } from './chart';
import { csvFileName, CsvLink, DataTable, type Column } from './chart-table';

interface Active { period: string; users: number }
export interface EngagementData {
  app_id: string;
  from: string;
  to: string;
  users: number;
  sessions: number;
  turns: number;
  sessions_per_user: number;
  turns_per_session: number;
  daily_active_users: Active[];
  weekly_active_users: Active[];
  monthly_active_users: Active[];
  retention: { week: string; users: number; retention: number[] }[];
}

interface ActiveRow { granularity: 'day' | 'week' | 'month'; period: string; users: number }
type Cohort = EngagementData['retention'][number];

const ACTIVE_COLUMNS: Column<ActiveRow>[] = [
  { csv: 'granularity', title: 'Per', value: (r) => r.granularity },
  { csv: 'period', title: 'Period', value: (r) => r.period },
  { csv: 'users', title: 'Active users', value: (r) => r.users },
];

const DAY = 86_400_000;
const seconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
const percent = (share: number) => `${(share * 100).toFixed(0)}%`;

export function EngagementView({ data }: { data: EngagementData }) {
  const activeRows = useMemo<ActiveRow[]>(
    () => [
      ...data.daily_active_users.map((a) => ({ granularity: 'day' as const, ...a })),
      ...data.weekly_active_users.map((a) => ({ granularity: 'week' as const, ...a })),
      ...data.monthly_active_users.map((a) => ({ granularity: 'month' as const, ...a })),
    ],
    [data],
  );
  // One x axis: every day of the range (a day without a call has no active user) and the week and
  // month starts, which may fall before it; WAU and MAU are points joined across the days between.
  const chart = useMemo(() => {
    const days = new Set<string>();
    for (let t = Date.parse(data.from.slice(0, 10)); t < Date.parse(data.to); t += DAY) days.add(new Date(t).toISOString().slice(0, 10));
    for (const row of activeRows) days.add(row.period);
    const periods = [...days].sort();
    const of = (list: Active[], fill: number | null) => {
      const byPeriod = new Map(list.map((a) => [a.period, a.users]));
      return periods.map((p) => byPeriod.get(p) ?? fill);
    };
    return {
      x: { time: periods.map(seconds) },
      series: [
        { label: 'Daily active users', values: of(data.daily_active_users, 0) },
        { label: 'Weekly active users', values: of(data.weekly_active_users, null), spanGaps: true },
        { label: 'Monthly active users', values: of(data.monthly_active_users, null), spanGaps: true },
      ],
    };
  }, [data, activeRows]);
  const weeks = Math.max(0, ...data.retention.map((c) => c.retention.length));
  const cohortColumns = useMemo<Column<Cohort>[]>(
    () => [
      { csv: 'week', title: 'Cohort (week of)', value: (c) => c.week },
      { csv: 'users', title: 'New users', value: (c) => c.users },
      ...Array.from({ length: weeks }, (_w, k): Column<Cohort> => ({
        csv: `week_${k}`,
        title: `Week ${k}`,
        value: (c) => c.retention[k] ?? null,
        cell: (c) => (c.retention[k] === undefined ? '' : percent(c.retention[k])),
      })),
    ],
    [weeks],
  );

  return (
    <div class="report" data-report="engagement">
      <dl class="figures">
        <div><dt>Users</dt><dd>{data.users}</dd></div>
        <div><dt>Sessions</dt><dd>{data.sessions}</dd></div>
        <div><dt>Turns</dt><dd>{data.turns}</dd></div>
        <div><dt>Sessions per user</dt><dd data-figure="sessions_per_user">{data.sessions_per_user}</dd></div>
        <div><dt>Turns per session</dt><dd data-figure="turns_per_session">{data.turns_per_session}</dd></div>
      </dl>
      {activeRows.length === 0 ? (
        <p>No active users in this range.</p>
      ) : (
        <figure data-figure="active-users">
          <Chart name="engagement" label={`Daily, weekly and monthly active users, ${data.daily_active_users.length} active days`} x={chart.x} series={chart.series} />
          <figcaption>
            {data.app_id}: {data.users} users, {data.sessions} sessions, {data.turns} turns.{' '}
            <CsvLink columns={ACTIVE_COLUMNS} rows={activeRows} filename={csvFileName('active-users', data)} />
          </figcaption>
          <details>
            <summary>Data</summary>
            <DataTable caption="Active users per day, week and month" columns={ACTIVE_COLUMNS} rows={activeRows} rowKey={(r) => `${r.granularity}:${r.period}`} />
          </details>
        </figure>
      )}
      <h2>Weekly retention</h2>
      {data.retention.length === 0 ? (
        <p>No new users in this range.</p>
      ) : (
        <div data-table="retention">
          <DataTable
            caption="Share of each week's new users active in the weeks after (week 0: their first)"
            columns={cohortColumns}
            rows={data.retention}
            rowKey={(c) => c.week}
            keyAttribute="week"
          />
          <CsvLink columns={cohortColumns} rows={data.retention} filename={csvFileName('retention', data)} />
        </div>
      )}
    </div>
  );
}
