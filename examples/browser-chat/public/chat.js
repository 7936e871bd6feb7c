// The page of the browser chat example. It gets a session from its own backend (`POST /api/session`,
// which holds the app key) and then talks to Tessera directly, on Tessera's origin, with the SDK's
// browser client and the session's runtime token: sends a message and renders the reply as it
// streams. Plain ES modules, no build step: the backend serves the SDK's modules under /sdk/.
import { createBrowserClient, TesseraError } from '/sdk/index.js';

const STORED_CHAT = 'tessera-browser-chat:chat_id';
const byId = (id) => document.getElementById(id);
const list = byId('messages');
const input = byId('input');
const sendButton = byId('send');
const stopButton = byId('stop');
const newChatButton = byId('new-chat');
const status = byId('status');

/** What the backend handed out: chat_id, sse_url, ws_url, runtime_token, expires_at, status. */
let session;
let client;
let refreshing;
/** The turn being streamed (its Stop button cancels it). */
let running;

/** A session from this page's backend: the chat `chatId` again, or a new chat. */
async function requestSession(chatId) {
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chatId ? { chat_id: chatId } : {}),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `the backend answered ${response.status}`);
  return body;
}

/**
 * The runtime token, for the SDK, which asks before each request and stream reconnect. A token lasts
 * 15 minutes: shortly before it lapses, the backend is asked for a fresh one for the same chat.
 */
function runtimeToken() {
  if (Date.parse(session.expires_at) - Date.now() > 60_000) return session.runtime_token;
  refreshing ??= requestSession(session.chat_id)
    .then((fresh) => {
      session = fresh;
      return fresh.runtime_token;
    })
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

function bubble(role, text) {
  const item = document.createElement('li');
  item.dataset.role = role;
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = text;
  item.append(body);
  list.append(item);
  list.scrollTop = list.scrollHeight;
  return item;
}

function note(item, className, text) {
  let element = item.querySelector(`.${className}`);
  if (!element) {
    element = document.createElement('div');
    element.className = className;
    if (className === 'tools') item.prepend(element);
    else item.append(element);
  }
  if (className === 'tools') {
    const tool = document.createElement('span');
    tool.textContent = text;
    element.append(tool);
  } else {
    element.textContent = text;
  }
}

function setBusy(busy) {
  input.disabled = busy;
  sendButton.disabled = busy;
  stopButton.hidden = !busy;
  newChatButton.disabled = busy;
  if (!busy) input.focus();
}

/** What went wrong, for the reader. The SDK's errors carry the API's code, status and Retry-After. */
function describe(error) {
  if (!(error instanceof TesseraError)) return String(error?.message ?? error);
  // Stopped with the Stop button: the turn kept what it had (interrupted) or was undone (rolled back).
  if (['cancelled', 'interrupted', 'rolled_back'].includes(error.details?.status)) return 'stopped';
  if (error.status === 429) return `too many messages right now${error.retryAfter ? `: try again in ${error.retryAfter} s` : ''}`;
  if (error.code === 'network_error' || error.code === 'stream_disconnected') return 'cannot reach the chat service';
  return `${error.code}: ${error.message}`;
}

/** The chat so far, after a reload. */
async function showTranscript() {
  let after;
  for (let page = 0; page < 10; page++) {
    const transcript = await client.messages({ limit: 100, ...(after !== undefined ? { after } : {}) });
    for (const message of transcript.messages) {
      if (message.role === 'user') bubble('user', message.content);
      else if (message.role === 'assistant' && message.content) bubble('assistant', message.content).dataset.state = 'done';
    }
    if (transcript.next_after === null) return;
    after = transcript.next_after;
  }
}

/** Opens the chat `chatId` (the one this tab had), or a new one. */
async function openChat(chatId) {
  status.textContent = 'Connecting…';
  session = await requestSession(chatId);
  localStorage.setItem(STORED_CHAT, session.chat_id);
  client = createBrowserClient({ session, runtimeToken });
  list.replaceChildren();
  if (session.chat_id === chatId) await showTranscript();
  status.textContent = `Chat ${session.chat_id}, streaming from ${new URL(session.sse_url).origin}`;
  setBusy(false);
}

/** Sends a message and renders the reply as it streams (`turn.text` is the reply so far). */
async function send(content) {
  bubble('user', content);
  const reply = bubble('assistant', '');
  reply.dataset.state = 'streaming';
  const text = reply.querySelector('.text');
  const turn = client.sendAndStream(content);
  running = turn;
  setBusy(true);
  try {
    for await (const event of turn) {
      text.textContent = turn.text;
      if (event.type === 'tool.called') note(reply, 'tools', `tool: ${event.data.name}`);
      list.scrollTop = list.scrollHeight;
    }
    const { content: answer, usage } = await turn.result;
    text.textContent = answer;
    reply.dataset.state = 'done';
    const cost = usage.unpriced_calls > 0 ? 'unpriced model' : `$${usage.cost_usd.toFixed(6)}`;
    note(reply, 'meta', `${usage.input_tokens} tokens in, ${usage.output_tokens} out · ${cost}`);
  } catch (error) {
    reply.dataset.state = 'failed';
    note(reply, 'meta', describe(error));
  } finally {
    running = undefined;
    setBusy(false);
  }
}

byId('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const content = input.value.trim();
  if (!content || running) return;
  input.value = '';
  void send(content);
});

stopButton.addEventListener('click', () => {
  if (running) client.cancel(running.turnId).catch((error) => (status.textContent = describe(error)));
});

newChatButton.addEventListener('click', () => {
  openChat(undefined).catch((error) => (status.textContent = `Could not start a chat: ${describe(error)}`));
});

openChat(localStorage.getItem(STORED_CHAT) ?? undefined).catch((error) => {
  status.textContent = `Could not start a chat: ${describe(error)}`;
});
