/**
 * The Packs page: an app's pack runs, newest first, filtered by status and pack, in cursor pages;
 * the first page asks again every few seconds, so a run started while the page is open appears.
 * The admin names the app; an app owner reads its own. `/console/packs/<run_id>` is one run
 * (pack-run.tsx).
 */
import { useState } from 'preact/hooks';
import type { Session } from './api';
import { formatUsd } from './chat-types';
import { PackRunPage } from './pack-run';
import { POLL_MS, usePolledPages } from './polled-pages';
import { linkTo, navigate, useLocation } from './router';
import './chat-pages.css';

interface RunSummary {
  run_id: string;
  pack: string;
  user_id: string;
  status: string;
  cost_usd: number;
  budget_usd?: number;
  created_at: string;
  ended_at?: string;
}
interface RunPage { runs: RunSummary[]; next_cursor: string | null }

const STATUSES = ['', 'running', 'completed', 'failed', 'cancelled', 'budget_exhausted'];

/** A console path to one run; the admin's carries the app. */
export function runPath(runId: string, adminAppId?: string): string {
  return `/console/packs/${encodeURIComponent(runId)}${adminAppId ? `?app_id=${encodeURIComponent(adminAppId)}` : ''}`;
}

export function PacksPage({ session }: { session: Session }) {
  const { pathname, search } = useLocation();
  const runId = decodeURIComponent(pathname.slice('/console/packs/'.length).replace(/\/$/, ''));
  const appId = session.kind === 'admin' ? (search.get('app_id') ?? '') : (session.app_id ?? '');
  if (pathname.startsWith('/console/packs/') && runId) return <PackRunPage session={session} runId={runId} appId={appId} />;
  return <RunList session={session} appId={appId} status={search.get('status') ?? ''} pack={search.get('pack') ?? ''} />;
}

function RunList({ session, appId, status, pack }: { session: Session; appId: string; status: string; pack: string }) {
  const [appField, setAppField] = useState(appId);
  const [statusField, setStatusField] = useState(status);
  const [packField, setPackField] = useState(pack);
  const ready = session.kind !== 'admin' || appId !== '';
  const { loaded, rows: runs, hasMore, more, busy, error } = usePolledPages<RunPage, RunSummary>({
    path: '/v1/pack-runs',
    filters: { ...(session.kind === 'admin' ? { app_id: appId } : {}), status: status || undefined, pack: pack || undefined, limit: '25' },
    ready,
    rows: (page) => page.runs,
    id: (run) => run.run_id,
  });

  const show = (event: Event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (session.kind === 'admin' && appField) params.set('app_id', appField.trim());
    if (statusField) params.set('status', statusField);
    if (packField) params.set('pack', packField.trim());
    const qs = params.toString();
    navigate(`/console/packs${qs ? `?${qs}` : ''}`);
  };

  return (
    <section aria-labelledby="packs-title">
      <h1 id="packs-title">Pack runs</h1>
      <form class="filters" onSubmit={show}>
        {session.kind === 'admin' && (
          <label>App <input name="app_id" required value={appField} onInput={(e) => setAppField((e.target as HTMLInputElement).value)} /></label>
        )}
        <label>Status
          <select name="status" value={statusField} onChange={(e) => setStatusField((e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => <option value={s}>{s || 'any'}</option>)}
          </select>
        </label>
        <label>Pack <input name="pack" value={packField} onInput={(e) => setPackField((e.target as HTMLInputElement).value)} /></label>
        <button type="submit">Show</button>
      </form>
      {!ready && <p class="hint">Name the app whose runs to list.</p>}
      {ready && <p class="hint">Newest first; refreshed every {POLL_MS / 1000} s.</p>}
      {error && <p role="alert" class="error">{error}</p>}
      {ready && !loaded && !error && <p>Loading…</p>}
      {loaded && (runs.length === 0 ? <p>No run matches.</p> : (
        <table class="runs">
          <caption class="visually-hidden">Pack runs of {appId}, newest first</caption>
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Pack</th><th scope="col">User</th><th scope="col">Status</th><th scope="col">Cost (USD)</th><th scope="col">Budget (USD)</th><th scope="col">Started</th></tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const to = runPath(run.run_id, session.kind === 'admin' ? appId : undefined);
              return (
                <tr key={run.run_id} data-run={run.run_id}>
                  <th scope="row"><a href={to} onClick={linkTo(to)}>{run.run_id}</a></th>
                  <td>{run.pack}</td>
                  <td>{run.user_id}</td>
                  <td data-run-status>{run.status}</td>
                  <td>{formatUsd(run.cost_usd)}</td>
                  <td>{run.budget_usd !== undefined ? formatUsd(run.budget_usd) : '—'}</td>
                  <td><time dateTime={run.created_at}>{new Date(run.created_at).toLocaleString()}</time></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
      {hasMore && <button type="button" disabled={busy} onClick={() => void more()}>Older runs</button>}
    </section>
  );
}
