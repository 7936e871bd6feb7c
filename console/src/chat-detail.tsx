/**
 * One chat: its status and totals, its transcript (paged; text rendered as text, never as HTML;
 * failed and interrupted turns marked), the running turn tailed live from the chat's event stream
 * (`EventSource`, the console cookie), a link to its workflow in the Temporal Web UI, and, for the
 * app owner, Cancel on the running turn. The admin reads any app's chat, read-only.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, get, type Session } from './api';
import { formatUsd, workflowUrl, type ChatDetailView, type ConsoleConfig, type StoredMessage } from './chat-types';
import { linkTo } from './router';

interface Transcript { messages: StoredMessage[]; next_after: number | null }
/** A turn seen on the stream and not yet in the stored transcript. */
interface LiveTurn { turnId: string; text: string; restarts: number }
interface StreamEvent { type: string; turn_id?: string; data: Record<string, unknown> }

const MESSAGE_PAGE = '100';
const STATUS_NOTES: Record<string, string> = { failed: 'failed', interrupted: 'interrupted', rolled_back: 'rolled back' };

export function ChatDetail({ session, chatId, appId }: { session: Session; chatId: string; appId: string }) {
  const [chat, setChat] = useState<ChatDetailView | null>(null);
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const [nextAfter, setNextAfter] = useState<number | null>(null);
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [live, setLive] = useState<LiveTurn[]>([]);
  const [streamState, setStreamState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  // Turns the stream said ended (completed or failed): their messages are the transcript's.
  const endedTurns = useRef(new Set<string>());
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scope = session.kind === 'admin' ? { app_id: appId } : {};
  const qs = session.kind === 'admin' ? `?app_id=${encodeURIComponent(appId)}` : '';
  const base = `/v1/chats/${encodeURIComponent(chatId)}`;

  /** Reads the chat and its transcript from the start (after a turn ended: its stored messages). */
  const reload = async () => {
    try {
      const [detail, first] = await Promise.all([get<ChatDetailView>(base, scope), get<Transcript>(`${base}/messages`, { ...scope, limit: MESSAGE_PAGE })]);
      setChat(detail);
      setMessages(first.messages);
      setNextAfter(first.next_after);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const more = async () => {
    if (nextAfter === null) return;
    try {
      const page = await get<Transcript>(`${base}/messages`, { ...scope, limit: MESSAGE_PAGE, after: String(nextAfter) });
      setMessages((shown) => [...shown, ...page.messages]);
      setNextAfter(page.next_after);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    endedTurns.current = new Set();
    setLive([]);
    void reload();
    get<ConsoleConfig>('/console/api/config').then(setConfig, () => setConfig({ temporal_ui: null }));
    // The stream replays what it still holds, then follows: a turn it says ended is the transcript's.
    const source = new EventSource(`${base}/events${qs}`);
    const update = (turnId: string, change: (turn: LiveTurn) => LiveTurn | null) =>
      setLive((turns) => {
        const found = turns.find((turn) => turn.turnId === turnId) ?? { turnId, text: '', restarts: 0 };
        const next = change(found);
        const rest = turns.filter((turn) => turn.turnId !== turnId);
        return next ? [...rest, next] : rest;
      });
    const on = (type: string, handle: (event: StreamEvent) => void) =>
      source.addEventListener(type, (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as StreamEvent;
        if (event.turn_id && endedTurns.current.has(event.turn_id)) return;
        handle(event);
      });
    on('turn.started', (event) => event.turn_id && update(event.turn_id, (turn) => turn));
    on('message.delta', (event) => {
      const delta = typeof event.data.delta === 'string' ? event.data.delta : '';
      if (event.turn_id) update(event.turn_id, (turn) => ({ ...turn, text: turn.text + delta }));
    });
    // The model call was retried: the partial text is dropped, the retry streams it again.
    on('turn.restarted', (event) => event.turn_id && update(event.turn_id, (turn) => ({ ...turn, text: '', restarts: turn.restarts + 1 })));
    const ended = (event: StreamEvent) => {
      if (!event.turn_id) return;
      endedTurns.current.add(event.turn_id);
      update(event.turn_id, () => null);
      // The replay of a long chat ends many turns at once: read the transcript once after them.
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(() => void reload(), 150);
    };
    on('turn.completed', ended);
    on('turn.failed', ended);
    on('session.closed', () => void reload());
    source.onopen = () => setStreamState('live');
    source.onerror = () => setStreamState('reconnecting');
    return () => {
      source.close();
      clearTimeout(reloadTimer.current);
    };
  }, [chatId, appId]);

  const cancel = async (turnId: string) => {
    setNotice('');
    try {
      await call('POST', `${base}/cancel`, { turn_id: turnId });
      setNotice('Cancel sent: the turn stops and is kept, marked interrupted.');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const back = `/console/chats${qs}`;
  return (
    <section aria-labelledby="chat-title">
      <p><a href={back} onClick={linkTo(back)}>← All chats</a></p>
      <h1 id="chat-title">Chat {chatId}</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {chat && (
        <dl class="facts">
          <dt>User</dt><dd>{chat.user_id}</dd>
          <dt>Template</dt><dd>{chat.template}</dd>
          <dt>Status</dt><dd data-chat-status>{chat.status}{chat.closed_reason ? ` (${chat.closed_reason})` : ''}</dd>
          <dt>Turns</dt><dd data-turns>{chat.turn_count}{chat.failed_turns > 0 ? `, ${chat.failed_turns} failed` : ''}</dd>
          <dt>Tokens</dt><dd>{chat.totals.input_tokens} in, {chat.totals.output_tokens} out</dd>
          <dt>Cost (USD)</dt><dd>{formatUsd(chat.totals.cost_usd)}{chat.totals.unpriced_calls > 0 ? ` (+${chat.totals.unpriced_calls} unpriced calls)` : ''}</dd>
          <dt>Workflow</dt>
          <dd>
            {config?.temporal_ui ? (
              <a class="workflow-link" href={workflowUrl(config.temporal_ui, chat.workflow_id)} target="_blank" rel="noreferrer noopener">{chat.workflow_id} in the Temporal Web UI</a>
            ) : (
              <code>{chat.workflow_id}</code>
            )}
          </dd>
        </dl>
      )}
      <h2>Transcript</h2>
      {messages.length === 0 && chat && <p>No message yet.</p>}
      <ol class="transcript">
        {messages.map((message) => (
          <li key={message.message_id} data-role={message.role} data-status={message.status} class={`message ${message.role}`}>
            <span class="role">{message.role}{message.name ? ` (${message.name})` : ''}</span>
            {STATUS_NOTES[message.status] && <span class="mark">{STATUS_NOTES[message.status]}</span>}
            <p class="text">{message.content}</p>
          </li>
        ))}
      </ol>
      {nextAfter !== null && <button type="button" onClick={() => void more()}>Later messages</button>}
      <h2>Running turn</h2>
      <p class="hint" role="status">{streamState === 'live' ? 'Following the chat live.' : streamState === 'connecting' ? 'Connecting to the chat\'s events…' : 'Reconnecting to the chat\'s events…'}</p>
      {live.length === 0 && <p>No turn is running.</p>}
      {live.map((turn) => (
        <div key={turn.turnId} class="live-turn" data-live-turn={turn.turnId} data-state="streaming" aria-live="polite">
          <p class="role">assistant, streaming{turn.restarts > 0 ? ` (model call retried ${turn.restarts}×, restarted)` : ''}</p>
          <p class="text">{turn.text || '…'}</p>
          {session.kind === 'app' && <button type="button" onClick={() => void cancel(turn.turnId)}>Cancel turn</button>}
        </div>
      ))}
      {notice && <p role="status">{notice}</p>}
    </section>
  );
}
