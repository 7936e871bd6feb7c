import type { Session } from './api';

/** The Apps page (issue 19): built in the next step. */
export function AppsPage({ session }: { session: Session }) {
  void session;
  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">Apps</h1>
      <p>Not yet built.</p>
    </section>
  );
}
