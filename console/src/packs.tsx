import type { Session } from './api';

/** The Packs page (issue 19): built in the next step. */
export function PacksPage({ session }: { session: Session }) {
  void session;
  return (
    <section aria-labelledby="packs-title">
      <h1 id="packs-title">Packs</h1>
      <p>Not yet built.</p>
    </section>
  );
}
