import { useState } from 'preact/hooks';
import { get, type Session } from './api';
import { useBusyAction } from './busy-action';

interface Entry {
  seq: number;
  event_id: string;
  ts: string;
  actor: { actor_id: string; via?: string };
  action: string;
  resource: { type: string; id: string };
  outcome: 'success' | 'failure';
}
interface AuditPage { app_id: string; entries: Entry[]; next_cursor: string | null }
interface Verify { app_id: string; ok: boolean; checked: number; first_broken?: unknown }

const ACTIONS = ['', 'create', 'read', 'update', 'delete', 'llm_interaction'];

export function AuditPage({ session }: { session: Session }) {
  const [appId, setAppId] = useState(session.app_id ?? '');
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [resourceType, setResourceType] = useState('');
  const [pages, setPages] = useState<AuditPage[]>([]);
  const [verify, setVerify] = useState<Verify | null>(null);
  const { busy, error, run } = useBusyAction();

  const query = (cursor?: string) => ({
    ...(session.kind === 'admin' ? { app_id: appId } : {}),
    action: action || undefined,
    actor: actor || undefined,
    resource_type: resourceType || undefined,
    limit: '25',
    cursor,
  });


  const search = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setVerify(null);
      setPages([await get<AuditPage>('/v1/audit', query())]);
    });
  };
  const more = () => void run(async () => {
    const cursor = pages.at(-1)?.next_cursor;
    if (cursor) setPages([...pages, await get<AuditPage>('/v1/audit', query(cursor))]);
  });
  const check = () => void run(async () => {
    setVerify(await get<Verify>('/v1/audit/verify', session.kind === 'admin' ? { app_id: appId } : {}));
  });

  const entries = pages.flatMap((page) => page.entries);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" onSubmit={search}>
        {session.kind === 'admin' && (
          <label>App <input name="app_id" required value={appId} onInput={(e) => setAppId((e.target as HTMLInputElement).value)} /></label>
        )}
        <label>Action
          <select name="action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
            {ACTIONS.map((a) => <option value={a}>{a || 'any'}</option>)}
          </select>
        </label>
        <label>Actor <input name="actor" value={actor} onInput={(e) => setActor((e.target as HTMLInputElement).value)} /></label>
        <label>Resource type <input name="resource_type" value={resourceType} onInput={(e) => setResourceType((e.target as HTMLInputElement).value)} /></label>
        <button type="submit" disabled={busy}>Show</button>
        <button type="button" disabled={busy || (session.kind === 'admin' && !appId)} onClick={check}>Verify chain</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {verify && (
        <p role="status" class={verify.ok ? 'ok' : 'error'} data-verify={verify.ok ? 'ok' : 'broken'}>
          {verify.ok ? `Chain of ${verify.app_id} verified: ${verify.checked} entries, every hash and link holds.` : `Chain of ${verify.app_id} broken after ${verify.checked} entries: ${JSON.stringify(verify.first_broken)}`}
        </p>
      )}
      {pages.length > 0 && (entries.length === 0 ? <p>No entry matches.</p> : (
        <table class="audit">
          <caption class="visually-hidden">Audit entries, newest first</caption>
          <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Outcome</th></tr></thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.event_id}>
                <td>{entry.seq}</td>
                <td><time dateTime={entry.ts}>{new Date(entry.ts).toLocaleString()}</time></td>
                <td>{entry.actor.actor_id}</td>
                <td>{entry.action}</td>
                <td>{entry.resource.type} {entry.resource.id}</td>
                <td>{entry.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {pages.at(-1)?.next_cursor && <button type="button" disabled={busy} onClick={more}>Older entries</button>}
    </section>
  );
}
