/**
 * The Incidents page (issue 19): the ops autopilot's incidents, newest first, filtered by state and
 * (admin) app, in cursor pages; `/console/incidents/<id>` is one incident with its timeline and the
 * admin's Approve / Reject with a reason. An app owner reads its own app's incidents only (the API
 * scopes them) and decides nothing.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, type Session } from './api';
import { useBusyAction } from './busy-action';
import { IncidentDetailView } from './incident-detail';
import { INCIDENT_STATES, incidentPath, label, type Incident, type IncidentPage } from './incident-types';
import { linkTo, useLocation } from './router';
import './incident-page.css';

export { ApprovalsBadge } from './incident-badge';

const PAGE_SIZE = '25';
const PREFIX = '/console/incidents/';

export function IncidentsPage({ session }: { session: Session }) {
  const { pathname } = useLocation();
  if (pathname.startsWith(PREFIX) && pathname.length > PREFIX.length) {
    return <IncidentDetailView session={session} incidentId={decodeURIComponent(pathname.slice(PREFIX.length))} />;
  }
  return <IncidentList session={session} />;
}

function IncidentList({ session }: { session: Session }) {
  const admin = session.kind === 'admin';
  const [state, setState] = useState('');
  const [appId, setAppId] = useState('');
  const [pages, setPages] = useState<IncidentPage[] | null>(null);
  const { busy, error, run } = useBusyAction();

  const query = (cursor?: string) => ({ status: state || undefined, app_id: admin ? appId.trim() || undefined : undefined, limit: PAGE_SIZE, cursor });

  const show = () => run(async () => setPages([await get<IncidentPage>('/v1/ops/incidents', query())]));
  const more = () => run(async () => {
    const cursor = pages?.at(-1)?.next_cursor;
    if (pages && cursor) setPages([...pages, await get<IncidentPage>('/v1/ops/incidents', query(cursor))]);
  });

  useEffect(() => void show(), []);

  const incidents = pages?.flatMap((page) => page.incidents) ?? [];
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">Incidents</h1>
      {!admin && <p class="hint">The incidents of app <strong>{session.app_id}</strong>, read-only: an admin approves or rejects.</p>}
      <form class="filters" onSubmit={(event) => { event.preventDefault(); void show(); }}>
        <label>State
          <select name="status" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {INCIDENT_STATES.map((s) => <option value={s}>{label(s)}</option>)}
          </select>
        </label>
        {admin && <label>App <input name="app_id" value={appId} placeholder="every app" onInput={(e) => setAppId((e.target as HTMLInputElement).value)} /></label>}
        <button type="submit" disabled={busy}>Show</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {pages === null ? (
        !error && <p>Loading…</p>
      ) : incidents.length === 0 ? (
        <p>No incident matches.</p>
      ) : (
        <table class="incidents">
          <caption class="visually-hidden">Incidents, newest first</caption>
          <thead>
            <tr><th scope="col">Incident</th><th scope="col">App</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Opened</th><th scope="col">Proposed action</th></tr>
          </thead>
          <tbody>{incidents.map((incident) => <IncidentRow key={incident.incident_id} incident={incident} />)}</tbody>
        </table>
      )}
      {pages?.at(-1)?.next_cursor && <button type="button" disabled={busy} onClick={() => void more()}>Older incidents</button>}
    </section>
  );
}

function IncidentRow({ incident }: { incident: Incident }) {
  const to = incidentPath(incident.incident_id);
  return (
    <tr data-incident={incident.incident_id} data-status={incident.status}>
      <th scope="row"><a href={to} onClick={linkTo(to)}>{label(incident.rule)}</a></th>
      <td>{incident.app_id}</td>
      <td>{incident.finding.severity}</td>
      <td>{label(incident.status)}</td>
      <td><time dateTime={incident.opened_at}>{new Date(incident.opened_at).toLocaleString()}</time></td>
      <td>{label(incident.plan.action)} ({incident.plan.autonomy})</td>
    </tr>
  );
}
