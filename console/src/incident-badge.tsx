import { useEffect, useState } from 'preact/hooks';
import { get, type Session } from './api';
import { INCIDENTS_CHANGED, type IncidentPage } from './incident-types';

/** How often the badge counts again (and at once when the Incidents page changes one). */
const REFRESH_MS = 15_000;
const MAX_COUNTED = 200;

/** The header's count of incidents waiting for an approval (admin only: an app owner decides nothing). */
export function ApprovalsBadge({ session }: { session: Session }) {
  const [waiting, setWaiting] = useState<{ count: number; more: boolean } | null>(null);
  const admin = session.kind === 'admin';

  useEffect(() => {
    if (!admin) return undefined;
    let stopped = false;
    const count = async () => {
      try {
        const page = await get<IncidentPage>('/v1/ops/incidents', { status: 'awaiting_approval', limit: String(MAX_COUNTED) });
        if (!stopped) setWaiting({ count: page.incidents.length, more: page.next_cursor !== null });
      } catch {
        // A failed count keeps the last one; the next refresh tries again.
      }
    };
    void count();
    const timer = setInterval(() => void count(), REFRESH_MS);
    const onChange = () => void count();
    addEventListener(INCIDENTS_CHANGED, onChange);
    return () => {
      stopped = true;
      clearInterval(timer);
      removeEventListener(INCIDENTS_CHANGED, onChange);
    };
  }, [admin]);

  if (!admin || !waiting || waiting.count === 0) return null;
  const shown = `${waiting.count}${waiting.more ? '+' : ''}`;
  return (
    <>
      {' '}
      <span class="badge" data-waiting={waiting.count}>{shown}<span class="visually-hidden"> waiting for approval</span></span>
    </>
  );
}
