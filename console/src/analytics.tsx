import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type Session } from './api';

interface CostRow { key: string; calls: number; cost_usd: number; unpriced_calls: number }
interface CostView { app_id: string; from: string; to: string; rows: CostRow[] }

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function AnalyticsPage({ session }: { session: Session }) {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const [appId, setAppId] = useState(session.app_id ?? '');
  const [from, setFrom] = useState(isoDay(today - 29 * DAY));
  const [to, setTo] = useState(isoDay(today));
  const [data, setData] = useState<CostView | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const load = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      // `to` is the last day shown: the range ends at the start of the day after it.
      setData(await get<CostView>('/v1/analytics/cost', {
        ...(session.kind === 'admin' ? { app_id: appId } : {}),
        from: `${from}T00:00:00Z`,
        to: new Date(Date.parse(`${to}T00:00:00Z`) + DAY).toISOString(),
        group_by: 'day',
      }));
    } catch (e) {
      setData(null);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Cost by day</h1>
      <form class="filters" onSubmit={(e) => void load(e)}>
        {session.kind === 'admin' && (
          <label>App <input name="app_id" required value={appId} onInput={(e) => setAppId((e.target as HTMLInputElement).value)} /></label>
        )}
        <label>From <input name="from" type="date" required value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} /></label>
        <label>To <input name="to" type="date" required value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} /></label>
        <button type="submit" disabled={busy}>Show</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {data && (data.rows.length === 0 ? <p>No cost in this range.</p> : <CostChart data={data} />)}
    </section>
  );
}

function CostChart({ data }: { data: CostView }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!holder.current) return;
    const rows = [...data.rows].sort((a, b) => a.key.localeCompare(b.key));
    const plot = new uPlot(
      {
        width: Math.max(320, Math.min(900, holder.current.clientWidth || 800)),
        height: 300,
        series: [{}, { label: 'Cost (USD)', stroke: '#1f5fbf', fill: 'rgba(31,95,191,0.15)', width: 2, points: { show: true, size: 6 } }],
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `$${t.toFixed(4)}`), size: 80 }],
        scales: { x: { time: true } },
      },
      [rows.map((r) => Date.parse(`${r.key.slice(0, 10)}T00:00:00Z`) / 1000), rows.map((r) => r.cost_usd)],
      holder.current,
    );
    return () => plot.destroy();
  }, [data]);

  const csv = () => {
    const lines = ['day,calls,cost_usd,unpriced_calls', ...data.rows.map((r) => `${r.key},${r.calls},${r.cost_usd},${r.unpriced_calls}`)];
    return URL.createObjectURL(new Blob([`${lines.join('\n')}\n`], { type: 'text/csv' }));
  };
  const [href, setHref] = useState('');
  useEffect(() => {
    const url = csv();
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [data]);

  const total = data.rows.reduce((sum, r) => sum + r.cost_usd, 0);
  return (
    <figure>
      <div ref={holder} class="chart" role="img" aria-label={`Cost per day of ${data.app_id}, ${data.rows.length} days, total $${total.toFixed(4)}`} />
      <figcaption>
        {data.app_id}: ${total.toFixed(4)} over {data.rows.length} day(s).{' '}
        <a href={href} download={`cost-${data.app_id}-${data.from.slice(0, 10)}-${data.to.slice(0, 10)}.csv`}>Download CSV</a>
      </figcaption>
      <details>
        <summary>Data</summary>
        <table class="series">
          <thead><tr><th scope="col">Day</th><th scope="col">Calls</th><th scope="col">Cost (USD)</th></tr></thead>
          <tbody>{data.rows.map((r) => <tr key={r.key} data-day={r.key}><td>{r.key}</td><td>{r.calls}</td><td>{r.cost_usd.toFixed(6)}</td></tr>)}</tbody>
        </table>
      </details>
    </figure>
  );
}
