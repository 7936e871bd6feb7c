/**
 * The Analytics page: one report at a time over a chosen range (UTC days, `To` included) — cost,
 * usage or performance grouped by day, hour, model, template or user; engagement; failures
 * grouped; the month's budget forecast. The admin names the app; an app owner reads its own.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type Session } from './api';
import { EngagementView, type EngagementData } from './analytics-engagement';
import { ErrorsView, type ErrorsData } from './analytics-errors';
import { ForecastPanel, loadForecast, type ForecastView } from './analytics-forecast';
import { GROUPS, SeriesView, type GroupBy, type SeriesData, type SeriesReport } from './analytics-series';

type Report = SeriesReport | 'engagement' | 'errors' | 'forecast';
const REPORT_TITLES: Record<Report, string> = {
  cost: 'Cost',
  usage: 'Usage',
  performance: 'Performance',
  engagement: 'Engagement',
  errors: 'Errors',
  forecast: 'Budget forecast',
};
const isSeries = (r: Report): r is SeriesReport => r === 'cost' || r === 'usage' || r === 'performance';

type Loaded =
  | { report: SeriesReport; data: SeriesData }
  | { report: 'engagement'; data: EngagementData }
  | { report: 'errors'; data: ErrorsData }
  | { report: 'forecast'; data: ForecastView };

interface Range { app: Record<string, string>; from: string; to: string; group: GroupBy }

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const todayUtc = () => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
};

async function load(report: Report, range: Range): Promise<Loaded> {
  if (report === 'forecast') return { report, data: await loadForecast(range.app) };
  // `to` is the last day shown: the range ends at the start of the day after it.
  const query = { ...range.app, from: `${range.from}T00:00:00Z`, to: new Date(Date.parse(`${range.to}T00:00:00Z`) + DAY).toISOString() };
  if (isSeries(report)) return { report, data: await get<SeriesData>(`/v1/analytics/${report}`, { ...query, group_by: range.group }) };
  if (report === 'engagement') return { report, data: await get<EngagementData>('/v1/analytics/engagement', query) };
  return { report, data: await get<ErrorsData>('/v1/analytics/errors', query) };
}

export function AnalyticsPage({ session }: { session: Session }) {
  const [appId, setAppId] = useState(session.app_id ?? '');
  const [from, setFrom] = useState(isoDay(todayUtc() - 29 * DAY));
  const [to, setTo] = useState(isoDay(todayUtc()));
  const [group, setGroup] = useState<GroupBy>('day');
  const [report, setReport] = useState<Report>('cost');
  const [range, setRange] = useState<Range | null>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const latest = useRef(0);

  useEffect(() => {
    if (!range) return;
    // Only the answer to the latest request is shown (a slow one may come back after a newer one).
    const request = ++latest.current;
    setBusy(true);
    setError('');
    load(report, range)
      .then((result) => request === latest.current && setLoaded(result))
      .catch((e: unknown) => {
        if (request !== latest.current) return;
        setLoaded(null);
        setError((e as Error).message);
      })
      .finally(() => request === latest.current && setBusy(false));
  }, [report, range]);

  const show = (days: { from: string; to: string } = { from, to }) =>
    setRange({ app: session.kind === 'admin' ? { app_id: appId } : {}, from: days.from, to: days.to, group });
  const preset = (days: number) => {
    const range = { from: isoDay(todayUtc() - (days - 1) * DAY), to: isoDay(todayUtc()) };
    setFrom(range.from);
    setTo(range.to);
    if (form.current?.reportValidity()) show(range);
  };
  const value = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Analytics</h1>
      <div class="views" role="group" aria-label="Report">
        {(Object.keys(REPORT_TITLES) as Report[]).map((r) => (
          <button type="button" key={r} data-report-button={r} aria-pressed={r === report} onClick={() => setReport(r)}>
            {REPORT_TITLES[r]}
          </button>
        ))}
      </div>
      <form ref={form} class="filters" onSubmit={(e) => { e.preventDefault(); show(); }}>
        {session.kind === 'admin' && <label>App <input name="app_id" required value={appId} onInput={value(setAppId)} /></label>}
        <label>From <input name="from" type="date" required value={from} onInput={value(setFrom)} /></label>
        <label>To <input name="to" type="date" required value={to} onInput={value(setTo)} /></label>
        {isSeries(report) && (
          <label>Group by
            <select name="group_by" value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value as GroupBy)}>
              {GROUPS.map((g) => <option key={g} value={g}>{g}</option>)}
            </select>
          </label>
        )}
        <button type="submit" disabled={busy}>Show</button>
        <button type="button" onClick={() => preset(7)}>Last 7 days</button>
        <button type="button" onClick={() => preset(30)}>Last 30 days</button>
      </form>
      <p class="hint">
        Days are UTC; {report === 'forecast' ? 'the forecast is for the current month, whatever the range.' : isSeries(report) ? 'hourly grouping covers at most 31 days.' : 'a range covers at most 92 days.'}
      </p>
      {error && <p role="alert" class="error">{error}</p>}
      {loaded && loaded.report === report && <ReportView loaded={loaded} />}
    </section>
  );
}

function ReportView({ loaded }: { loaded: Loaded }) {
  const title = isSeries(loaded.report) ? `${REPORT_TITLES[loaded.report]} by ${(loaded.data as SeriesData).group_by}` : REPORT_TITLES[loaded.report];
  return (
    <>
      <h2>{title}</h2>
      {loaded.report === 'engagement' ? (
        <EngagementView data={loaded.data} />
      ) : loaded.report === 'errors' ? (
        <ErrorsView data={loaded.data} />
      ) : loaded.report === 'forecast' ? (
        <ForecastPanel view={loaded.data} />
      ) : (
        <SeriesView report={loaded.report} data={loaded.data} />
      )}
    </>
  );
}
