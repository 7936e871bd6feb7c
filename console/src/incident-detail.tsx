import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, get, type Session } from './api';
import { linkTo } from './router';
import { INCIDENTS_CHANGED, isClosed, label, type IncidentDetail, type TimelineEntry } from './incident-types';

/** While a decision is on its way into the workflow's record, and while the incident is live. */
const DECIDING_MS = 1000;
const LIVE_MS = 5000;

type Kind = 'approve' | 'reject';
const DECIDED: Record<Kind, string> = { approve: 'approved', reject: 'rejected' };

/** One incident (`/console/incidents/<id>`): its summary, its timeline, and — for the admin while it
 * waits — Approve / Reject with a reason. The timeline refreshes itself, so a decision made here
 * shows without a reload. */
export function IncidentDetailView({ session, incidentId }: { session: Session; incidentId: string }) {
  const [detail, setDetail] = useState<IncidentDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState('');
  const [reason, setReason] = useState('');
  const [pending, setPending] = useState<Kind | null>(null);
  const [busy, setBusy] = useState(false);
  const lastStatus = useRef<string | undefined>(undefined);

  const load = async () => {
    try {
      const next = await get<IncidentDetail>(`/v1/ops/incidents/${encodeURIComponent(incidentId)}`);
      if (lastStatus.current !== undefined && lastStatus.current !== next.incident.status) dispatchEvent(new Event(INCIDENTS_CHANGED));
      lastStatus.current = next.incident.status;
      setDetail(next);
      setMissing(false);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setError((e as Error).message);
    }
  };

  useEffect(() => {
    setDetail(null);
    setPending(null);
    lastStatus.current = undefined;
    void load();
  }, [incidentId]);

  // The decision shows once the workflow has recorded it.
  useEffect(() => {
    if (pending && detail?.timeline.some((entry) => entry.kind === DECIDED[pending])) setPending(null);
  }, [detail, pending]);

  useEffect(() => {
    if (!detail || (isClosed(detail.incident.status) && !pending)) return undefined;
    const timer = setTimeout(() => void load(), pending ? DECIDING_MS : LIVE_MS);
    return () => clearTimeout(timer);
  }, [detail, pending]);

  const decide = async (event: SubmitEvent) => {
    event.preventDefault();
    const kind = ((event.submitter as HTMLButtonElement | null)?.value ?? '') as Kind;
    if (kind !== 'approve' && kind !== 'reject') return;
    if (!reason.trim()) {
      setError('Give a reason for the decision.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await call('POST', `/v1/ops/incidents/${encodeURIComponent(incidentId)}/${kind}`, { reason: reason.trim() });
      setPending(kind);
      setReason('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const back = <p><a href="/console/incidents" onClick={linkTo('/console/incidents')}>All incidents</a></p>;
  if (missing) {
    return (
      <section aria-labelledby="incident-title">
        <h1 id="incident-title">Incident not found</h1>
        <p role="alert" class="error">No incident {incidentId} is visible to you.</p>
        {back}
      </section>
    );
  }
  if (!detail) {
    return (
      <section aria-labelledby="incident-title">
        <h1 id="incident-title">Incident</h1>
        {error ? <p role="alert" class="error">{error}</p> : <p>Loading…</p>}
        {back}
      </section>
    );
  }

  const { incident, timeline } = detail;
  const canDecide = session.kind === 'admin' && incident.status === 'awaiting_approval' && !pending;
  return (
    <section aria-labelledby="incident-title" data-incident={incident.incident_id} data-status={incident.status}>
      {back}
      <h1 id="incident-title">{label(incident.rule)} on {incident.app_id}</h1>
      <p>{incident.summary ?? incident.finding.summary}</p>
      <dl class="facts">
        <dt>State</dt><dd data-field="status">{label(incident.status)}{incident.decision && incident.decision !== incident.status ? ` (${label(incident.decision)})` : ''}</dd>
        <dt>Severity</dt><dd>{incident.finding.severity}</dd>
        <dt>Proposed action</dt><dd>{label(incident.plan.action)}{incident.plan.action === 'throttle' ? ` ×${incident.plan.throttle_factor}` : ''} ({incident.plan.autonomy})</dd>
        <dt>Opened</dt><dd><time dateTime={incident.opened_at}>{new Date(incident.opened_at).toLocaleString()}</time></dd>
        {incident.closed_at && <><dt>Closed</dt><dd><time dateTime={incident.closed_at}>{new Date(incident.closed_at).toLocaleString()}</time></dd></>}
        <dt>Evidence</dt><dd>{Object.entries(incident.finding.evidence).map(([key, value]) => `${label(key)} ${value}`).join(', ')}</dd>
        <dt>Incident id</dt><dd><code>{incident.incident_id}</code></dd>
      </dl>

      {canDecide && (
        <form class="decision" onSubmit={(event) => void decide(event as unknown as SubmitEvent)}>
          <h2>Decide</h2>
          <label for="decision-reason">Reason (recorded with the decision)</label>
          <textarea id="decision-reason" name="reason" required maxLength={2000} rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
          <div class="actions">
            <button type="submit" value="approve" disabled={busy}>Approve {label(incident.plan.action)}</button>
            <button type="submit" value="reject" disabled={busy}>Reject</button>
          </div>
        </form>
      )}
      {session.kind !== 'admin' && incident.status === 'awaiting_approval' && <p class="hint">It waits for an admin's decision; this view is read-only.</p>}
      {pending && <p role="status">{pending === 'approve' ? 'Approval' : 'Rejection'} sent; the timeline shows it once the remediation records it.</p>}
      {error && <p role="alert" class="error">{error}</p>}

      <h2>Timeline</h2>
      <ol class="timeline">
        {timeline.map((entry, index) => <TimelineItem key={`${entry.at}:${index}`} entry={entry} />)}
      </ol>
    </section>
  );
}

function TimelineItem({ entry }: { entry: TimelineEntry }) {
  const when = <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time>;
  if (entry.source === 'notification') {
    return (
      <li data-kind={entry.kind} data-source="notification">
        {when} <strong>notification</strong> {label(entry.kind)} on {entry.channel} ({entry.delivery}){entry.detail ? `: ${entry.detail}` : ''}
      </li>
    );
  }
  const decision = entry.kind === 'approved' || entry.kind === 'rejected';
  return (
    <li data-kind={entry.kind} data-source="incident">
      {when} <strong>{label(entry.kind)}</strong>
      {entry.action ? ` ${label(entry.action)}` : ''}
      {entry.actor ? ` by ${entry.actor}` : ''}
      {entry.detail ? (decision ? <>: <q data-reason>{entry.detail}</q></> : `: ${entry.detail}`) : ''}
    </li>
  );
}
