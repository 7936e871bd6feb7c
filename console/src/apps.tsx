/**
 * The Apps page (issue 19). The admin: every app in a table (state: running, paused, throttled ×f)
 * in cursor pages, and at `/console/apps/<app_id>` one app with its settings and the operator's
 * actions (app-actions.tsx). An app owner: its own app, read-only; another app is whatever the API
 * answers for it (not found).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, type Session } from './api';
import { AppActions } from './app-actions';
import { useBusyAction } from './busy-action';
import { linkTo, useLocation } from './router';

export interface AppDetail {
  app_id: string;
  name: string;
  tier: 'free' | 'pro' | 'enterprise';
  limits: { max_concurrent_turns: number; turns_per_minute: number };
  paused: boolean;
  allowed_origins: string[];
  key_rotated_at: string;
  created_at: string;
  ops: { state: 'running' | 'paused' | 'throttled'; paused_by_ops: boolean; throttle_factor: number | null; throttle_expires_at: string | null; throttle_source: 'manual' | 'autopilot' | null };
  budget: { monthly_budget_usd: number | null; month_spent_usd: number };
}
interface AppList { apps: AppDetail[]; next_cursor: string | null }

const PREFIX = '/console/apps';

export function AppsPage({ session }: { session: Session }) {
  const { pathname } = useLocation();
  const named = pathname.startsWith(`${PREFIX}/`) ? decodeURIComponent(pathname.slice(PREFIX.length + 1)) : '';
  if (named) return <AppPage session={session} appId={named} />;
  // An app owner has one app: its own.
  if (session.kind !== 'admin') return <AppPage session={session} appId={session.app_id ?? ''} />;
  return <AppTable />;
}

export function stateLabel(app: AppDetail): string {
  if (app.ops.state === 'paused') return app.paused ? 'paused' : 'paused by ops';
  if (app.ops.state === 'throttled') return `throttled ×${app.ops.throttle_factor ?? ''}`;
  return 'running';
}

export const StateBadge = ({ app }: { app: AppDetail }) => <span class={`badge state-${app.ops.state}`} data-state={app.ops.state}>{stateLabel(app)}</span>;

export const usd = (value: number | null) => (value === null ? 'none' : `$${value.toFixed(2)}`);

function AppTable() {
  const [order, setOrder] = useState<'newest' | 'app_id'>('newest');
  const [pages, setPages] = useState<AppList[] | null>(null);
  const { busy, error, run } = useBusyAction();

  const load = (cursor?: string) => run(async () => {
    const page = await get<AppList>('/v1/apps', { order, limit: '50', cursor });
    setPages((before) => (cursor ? [...(before ?? []), page] : [page]));
  });
  useEffect(() => void load(), [order]);

  const apps = (pages ?? []).flatMap((page) => page.apps);
  const next = pages?.at(-1)?.next_cursor;
  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">Apps</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Order
          <select name="order" value={order} onChange={(e) => setOrder((e.target as HTMLSelectElement).value as 'newest' | 'app_id')}>
            <option value="newest">newest first</option>
            <option value="app_id">by app id</option>
          </select>
        </label>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {pages === null ? <p>Loading…</p> : apps.length === 0 ? <p>No app yet.</p> : (
        <table class="apps">
          <caption class="visually-hidden">Apps</caption>
          <thead>
            <tr><th scope="col">App</th><th scope="col">Name</th><th scope="col">Tier</th><th scope="col">Concurrent turns</th><th scope="col">Turns per minute</th><th scope="col">Origins</th><th scope="col">Monthly budget</th><th scope="col">State</th></tr>
          </thead>
          <tbody>
            {apps.map((app) => (
              <tr key={app.app_id} data-app={app.app_id}>
                <th scope="row"><a href={`${PREFIX}/${app.app_id}`} onClick={linkTo(`${PREFIX}/${app.app_id}`)}>{app.app_id}</a></th>
                <td>{app.name}</td>
                <td>{app.tier}</td>
                <td>{app.limits.max_concurrent_turns}</td>
                <td>{app.limits.turns_per_minute}</td>
                <td>{app.allowed_origins.length}</td>
                <td>{usd(app.budget.monthly_budget_usd)}</td>
                <td><StateBadge app={app} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && <button type="button" disabled={busy} onClick={() => void load(next)}>More apps</button>}
    </section>
  );
}

function AppPage({ session, appId }: { session: Session; appId: string }) {
  const [app, setApp] = useState<AppDetail | null>(null);
  const [error, setError] = useState('');

  const reload = async () => {
    try {
      setApp(await get<AppDetail>(`/v1/apps/${encodeURIComponent(appId)}`));
      setError('');
    } catch (e) {
      setApp(null);
      setError(e instanceof ApiError && e.status === 404 ? `App '${appId}' not found.` : (e as Error).message);
    }
  };
  useEffect(() => {
    setApp(null);
    void reload();
  }, [appId]);

  return (
    <section aria-labelledby="app-title">
      {session.kind === 'admin' && <p><a href={PREFIX} onClick={linkTo(PREFIX)}>All apps</a></p>}
      <h1 id="app-title">App {appId} {app && <StateBadge app={app} />}</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {app && <AppFacts app={app} />}
      {app && session.kind === 'admin' && <AppActions app={app} onChanged={reload} />}
    </section>
  );
}

function AppFacts({ app }: { app: AppDetail }) {
  const throttle = app.ops.throttle_factor !== null
    ? `×${app.ops.throttle_factor} (${app.ops.throttle_source ?? ''}${app.ops.throttle_expires_at ? `, until ${new Date(app.ops.throttle_expires_at).toLocaleString()}` : ''})`
    : 'none';
  return (
    <dl class="facts">
      <dt>Name</dt><dd>{app.name}</dd>
      <dt>Tier</dt><dd data-field="tier">{app.tier}</dd>
      <dt>Limits</dt><dd>{app.limits.max_concurrent_turns} concurrent turns, {app.limits.turns_per_minute} turns per minute</dd>
      <dt>Allowed origins</dt><dd data-field="allowed_origins">{app.allowed_origins.length === 0 ? 'none' : app.allowed_origins.join(', ')}</dd>
      <dt>Monthly budget</dt><dd>{usd(app.budget.monthly_budget_usd)} ({usd(app.budget.month_spent_usd)} spent this month)</dd>
      <dt>Throttle</dt><dd>{throttle}</dd>
      <dt>Key rotated</dt><dd><time dateTime={app.key_rotated_at}>{new Date(app.key_rotated_at).toLocaleString()}</time></dd>
    </dl>
  );
}
