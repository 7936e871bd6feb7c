import { useEffect, useState } from 'preact/hooks';
import { get, type Session } from './api';

interface AppPerf {
  app_id: string;
  active_runs: number;
  turns: number;
  errors: number;
  cost_usd: number;
  throttle_factor: number | null;
  paused_by_ops: boolean;
}

/** How often the overview asks again. A server-pushed stream of one shared snapshot replaces this
 * poll in a later step (issue 19). */
const POLL_MS = 5000;

export function OverviewPage({ session }: { session: Session }) {
  if (session.kind !== 'admin') {
    return (
      <section aria-labelledby="overview-title">
        <h1 id="overview-title">Overview</h1>
        <p>The live overview of every app is the admin's. As the owner of app <strong>{session.app_id}</strong>, read its <a href="/console/audit">audit log</a> and its <a href="/console/analytics">cost</a>.</p>
      </section>
    );
  }
  return <AdminOverview />;
}

function AdminOverview() {
  const [apps, setApps] = useState<AppPerf[] | null>(null);
  const [updated, setUpdated] = useState('');
  const [error, setError] = useState('');

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const body = await get<{ to: string; apps: AppPerf[] }>('/metrics/perf/aggregate', { minutes: '60' });
        if (stopped) return;
        setApps(body.apps);
        setUpdated(body.to);
        setError('');
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <p class="hint">Last 60 minutes per app, refreshed every {POLL_MS / 1000} s{updated ? ` (as of ${new Date(updated).toLocaleTimeString()})` : ''}.</p>
      {error && <p role="alert" class="error">{error}</p>}
      {apps === null ? (
        <p>Loading…</p>
      ) : apps.length === 0 ? (
        <p>No app has run anything yet.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Apps, last 60 minutes</caption>
          <thead>
            <tr><th scope="col">App</th><th scope="col">Active runs</th><th scope="col">Turns</th><th scope="col">Errors</th><th scope="col">Cost (USD)</th><th scope="col">State</th></tr>
          </thead>
          <tbody>
            {apps.map((app) => (
              <tr key={app.app_id} data-app={app.app_id}>
                <th scope="row">{app.app_id}</th>
                <td>{app.active_runs}</td>
                <td>{app.turns}</td>
                <td>{app.errors}</td>
                <td>{app.cost_usd.toFixed(4)}</td>
                <td>{app.paused_by_ops ? 'paused' : app.throttle_factor !== null ? `throttled ×${app.throttle_factor}` : 'running'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
