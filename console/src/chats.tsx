import type { Session } from './api';

/** The Chats page (issue 19): built in the next step. */
export function ChatsPage({ session }: { session: Session }) {
  void session;
  return (
    <section aria-labelledby="chats-title">
      <h1 id="chats-title">Chats</h1>
      <p>Not yet built.</p>
    </section>
  );
}
