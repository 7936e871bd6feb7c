import type { Session } from './api';

/** The Incidents page (issue 19): built in the next step. */
export function IncidentsPage({ session }: { session: Session }) {
  void session;
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">Incidents</h1>
      <p>Not yet built.</p>
    </section>
  );
}

/** The header's count of incidents waiting for an approval (admin only). */
export function ApprovalsBadge({ session }: { session: Session }) {
  void session;
  return null;
}
