/**
 * The live overview: one `EventSource` on `/console/api/live` (same origin, the session cookie),
 * which the API pushes its shared snapshot down every second. The admin sees every app, an app's
 * owner its own app (the server filters; the page shows what it is sent). The last few minutes of
 * turns per second are kept in page memory for the chart.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Session } from './api';
import { TurnsChart, type LivePoint } from './overview-chart';

export interface LiveApp {
  app_id: string;
  state: 'running' | 'paused' | 'throttled';
  throttle_factor: number | null;
  active_runs: number;
  turns: number;
  turns_per_second: number;
  errors: number;
  p95_turn_ms: number | null;
  cost_per_hour_usd: number;
}

interface LiveSnapshot {
  seq: number;
  at: string;
  window_minutes: number;
  apps: LiveApp[];
}

type LinkStatus = 'connecting' | 'live' | 'reconnecting';

const LIVE_URL = '/console/api/live';
/** Points kept for the chart: five minutes of one snapshot a second. */
const HISTORY_POINTS = 300;
/** When the browser gave up on the stream (an HTTP error), the page opens a new one after this. */
const REOPEN_MS = 5000;

export const stateText = (app: LiveApp) => (app.state === 'throttled' ? `throttled ×${app.throttle_factor ?? ''}` : app.state);

function useLiveOverview() {
  const [snapshot, setSnapshot] = useState<LiveSnapshot | null>(null);
  const [status, setStatus] = useState<LinkStatus>('connecting');
  const history = useRef<LivePoint[]>([]);

  useEffect(() => {
    let source: EventSource | undefined;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      source = new EventSource(LIVE_URL);
      source.addEventListener('open', () => setStatus('live'));
      source.addEventListener('snapshot', (event) => {
        const next = JSON.parse((event as MessageEvent<string>).data) as LiveSnapshot;
        const point: LivePoint = { t: Date.parse(next.at) / 1000, turnsPerSecond: Object.fromEntries(next.apps.map((a) => [a.app_id, a.turns_per_second])) };
        history.current = [...history.current, point].slice(-HISTORY_POINTS);
        setSnapshot(next);
        setStatus('live');
      });
      source.addEventListener('error', () => {
        setStatus('reconnecting');
        // CONNECTING: the browser reconnects by itself (after the server's `retry:`); CLOSED: it gave up.
        if (source?.readyState === EventSource.CLOSED) reopen = setTimeout(open, REOPEN_MS);
      });
    };
    open();
    return () => {
      clearTimeout(reopen);
      source?.close();
    };
  }, []);

  return { snapshot, status, history: history.current };
}

export function OverviewPage({ session }: { session: Session }) {
  const { snapshot, status, history } = useLiveOverview();
  const admin = session.kind === 'admin';
  const apps = snapshot?.apps ?? [];
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <p class="hint">
        {admin ? 'Every app' : <>Your app <strong>{session.app_id}</strong></>}, live: turns, errors, latency and cost over the last {snapshot?.window_minutes ?? 5} minutes.{' '}
        <span role="status" class={`live-status ${status}`} data-live-status={status}>
          {status === 'live' ? 'live' : status === 'reconnecting' ? 'reconnecting…' : 'connecting…'}
        </span>
        {snapshot && <> (as of {new Date(snapshot.at).toLocaleTimeString()})</>}
      </p>
      {snapshot === null ? (
        <p>Loading…</p>
      ) : apps.length === 0 ? (
        <p>{admin ? 'No app has run anything yet.' : 'Your app has run nothing yet.'}</p>
      ) : (
        <>
          <table class="live">
            <caption class="visually-hidden">Apps, live, last {snapshot.window_minutes} minutes</caption>
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Active runs</th>
                <th scope="col">Turns</th>
                <th scope="col">Turns/s</th>
                <th scope="col">Errors</th>
                <th scope="col">p95 turn (ms)</th>
                <th scope="col">Cost/hour (USD)</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {apps.map((app) => (
                <tr key={app.app_id} data-app={app.app_id}>
                  <th scope="row">{app.app_id}</th>
                  <td data-active-runs>{app.active_runs}</td>
                  <td data-turns>{app.turns}</td>
                  <td data-turns-per-second>{app.turns_per_second.toFixed(2)}</td>
                  <td data-errors>{app.errors}</td>
                  <td data-p95>{app.p95_turn_ms === null ? '–' : Math.round(app.p95_turn_ms)}</td>
                  <td data-cost-per-hour>{app.cost_per_hour_usd.toFixed(4)}</td>
                  <td data-state>{stateText(app)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <TurnsChart history={history} appIds={apps.map((a) => a.app_id)} />
        </>
      )}
    </section>
  );
}
