/**
 * The Chats page: an app's chats, most recently updated first, filtered by user, in cursor pages;
 * the first page asks again every few seconds, so a chat made while the page is open appears
 * without a reload. The admin names the app; an app owner reads its own. `/console/chats/<chat_id>`
 * is one chat (chat-detail.tsx).
 */
import { useState } from 'preact/hooks';
import type { Session } from './api';
import { ChatDetail } from './chat-detail';
import { chatPath, formatUsd, type ChatSummary } from './chat-types';
import { POLL_MS, usePolledPages } from './polled-pages';
import { linkTo, navigate, useLocation } from './router';
import './chat-pages.css';

interface ChatPage { chats: ChatSummary[]; next_cursor: string | null }

const PAGE_SIZE = '25';

export function ChatsPage({ session }: { session: Session }) {
  const { pathname, search } = useLocation();
  const chatId = decodeURIComponent(pathname.slice('/console/chats/'.length).replace(/\/$/, ''));
  const appId = session.kind === 'admin' ? (search.get('app_id') ?? '') : (session.app_id ?? '');
  if (pathname.startsWith('/console/chats/') && chatId) return <ChatDetail session={session} chatId={chatId} appId={appId} />;
  return <ChatList session={session} appId={appId} userId={search.get('user_id') ?? ''} />;
}

function ChatList({ session, appId, userId }: { session: Session; appId: string; userId: string }) {
  const [appField, setAppField] = useState(appId);
  const [userField, setUserField] = useState(userId);
  const ready = session.kind !== 'admin' || appId !== '';
  const { loaded, rows: chats, hasMore, more, busy, error } = usePolledPages<ChatPage, ChatSummary>({
    path: '/v1/chats',
    filters: { ...(session.kind === 'admin' ? { app_id: appId } : {}), user_id: userId || undefined, limit: PAGE_SIZE },
    ready,
    rows: (page) => page.chats,
    id: (chat) => chat.chat_id,
  });

  const show = (event: Event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (session.kind === 'admin' && appField) params.set('app_id', appField.trim());
    if (userField) params.set('user_id', userField.trim());
    const qs = params.toString();
    navigate(`/console/chats${qs ? `?${qs}` : ''}`);
  };

  return (
    <section aria-labelledby="chats-title">
      <h1 id="chats-title">Chats</h1>
      <form class="filters" onSubmit={show}>
        {session.kind === 'admin' && (
          <label>App <input name="app_id" required value={appField} onInput={(e) => setAppField((e.target as HTMLInputElement).value)} /></label>
        )}
        <label>User <input name="user_id" value={userField} onInput={(e) => setUserField((e.target as HTMLInputElement).value)} /></label>
        <button type="submit">Show</button>
      </form>
      {!ready && <p class="hint">Name the app whose chats to list.</p>}
      {ready && <p class="hint">Most recently updated first; refreshed every {POLL_MS / 1000} s.</p>}
      {error && <p role="alert" class="error">{error}</p>}
      {ready && !loaded && !error && <p>Loading…</p>}
      {loaded && (chats.length === 0 ? <p>No chat yet{userId ? ` for user ${userId}` : ''}.</p> : (
        <table class="chats">
          <caption class="visually-hidden">Chats of {appId}, most recently updated first</caption>
          <thead>
            <tr><th scope="col">Chat</th><th scope="col">User</th><th scope="col">Template</th><th scope="col">Status</th><th scope="col">Turns</th><th scope="col">Cost (USD)</th><th scope="col">Updated</th></tr>
          </thead>
          <tbody>
            {chats.map((chat) => {
              const to = chatPath(chat.chat_id, session.kind === 'admin' ? appId : undefined);
              return (
                <tr key={chat.chat_id} data-chat={chat.chat_id}>
                  <th scope="row"><a href={to} onClick={linkTo(to)}>{chat.chat_id}</a></th>
                  <td>{chat.user_id}</td>
                  <td>{chat.template}</td>
                  <td>{chat.status}</td>
                  <td>{chat.turn_count}{chat.failed_turns > 0 ? ` (+${chat.failed_turns} failed)` : ''}</td>
                  <td>{formatUsd(chat.totals.cost_usd)}</td>
                  <td><time dateTime={chat.updated_at}>{new Date(chat.updated_at).toLocaleString()}</time></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
      {hasMore && <button type="button" disabled={busy} onClick={() => void more()}>Older chats</button>}
    </section>
  );
}
