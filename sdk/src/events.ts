/**
 * Live events of a chat (or a pack run) as an async iterator, over server-sent events read with
 * fetch + ReadableStream, or over WebSocket. A dropped connection is reopened by itself after the
 * last event id it delivered (`Last-Event-ID` / `?after=`), with a bounded exponential backoff, so
 * the consumer sees every event once and in order. The OpenAPI document describes the streams as
 * text, so the event shapes are written out here, after what the API publishes.
 */
import { readError, TesseraError } from './errors.js';
import { backoffMs, credentialValue, sleep, type Credential } from './http.js';
import { SseParser } from './sse.js';

/** Tokens and cost as the API reports them (also the `usage` of a reply). */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: number;
  /** LLM calls whose model has no price (never counted as free). */
  unpriced_calls: number;
}

export interface ChatEventData {
  'turn.started': { turn_number: number; message_id: string; content: string };
  'message.delta': { step: number; delta: string };
  'tool.called': { step: number; index: number; tool_call_id: string; name: string; arguments: string };
  'tool.result': { step: number; index: number; tool_call_id: string; name: string; ok: boolean; content: string };
  'message.completed': { step: number; message_id: string; content: string };
  'turn.completed': {
    usage: Omit<Usage, 'cost_usd'> & { cost_nanos: number; cost_usd?: number; llm_calls?: number };
    cost_usd: number;
    message_id: string | null;
  };
  'turn.failed': { status: string; error: string | null; code?: string };
  /** The model call of `step` was retried: that step's deltas so far are void, it streams again from the start. */
  'turn.restarted': { step: number; attempt: number };
  'session.closed': { reason: string };
  /** Events after `missed_after` were dropped from the capped stream: read them from `transcript_url`. */
  'stream.truncated': { missed_after: string; first_available_id: string; resume_from: 'transcript'; transcript_url: string };
}

export type ChatEventType = keyof ChatEventData;

/** One event: `id` is its position (resume after it); `turn_id` names the turn it belongs to. */
export type ChatEvent = {
  [K in ChatEventType]: { id: string | null; type: K; turn_id?: string; data: ChatEventData[K] };
}[ChatEventType];

/** A pack run's progress (`run.started`, `step.started`, `step.completed`, `step.failed`, `step.cancelled`, `run.completed`). */
export interface PackRunEvent {
  id: string | null;
  type: string;
  /** The step, for step events. */
  turn_id?: string;
  data: Record<string, unknown>;
}

export interface ReconnectOptions {
  /** Failed connection attempts in a row before the iterator gives up with `stream_disconnected` (default 8). */
  maxAttempts?: number;
  /** First wait before reconnecting (default 250 ms, doubling). */
  baseDelayMs?: number;
  /** Longest wait between attempts (default 5 s). */
  maxDelayMs?: number;
}

export interface EventStreamOptions {
  /** Start after this event id; without one the stream starts at the oldest event it holds. */
  lastEventId?: string;
  /** `sse` (default) or `websocket`. */
  transport?: 'sse' | 'websocket';
  /** Ends the iteration (and the connection) when aborted. */
  signal?: AbortSignal;
  reconnect?: ReconnectOptions;
  /** Told before each reconnect: the attempt (1, 2, ...), the id it resumes after, and why. */
  onReconnect?: (info: { attempt: number; lastEventId: string | undefined; reason: unknown }) => void;
  /** A WebSocket constructor where the global one is missing. */
  WebSocket?: typeof WebSocket;
}

export interface StreamTarget {
  baseUrl: string;
  fetch: (input: Request) => Promise<Response>;
  credential: Credential;
  headers: Record<string, string>;
}

interface Frame {
  id: string | null;
  type: string;
  turn_id?: string;
  data: Record<string, unknown>;
}

/** Statuses worth reconnecting after; any other refusal (401, 403, 404, ...) ends the iteration with its error. */
const RECONNECTABLE = new Set([0, 408, 429, 500, 502, 503, 504]);

/** The events at `path`, resuming by itself until the consumer stops or the server refuses for good. */
export async function* eventStream<E extends { id: string | null }>(target: StreamTarget, path: string, options: EventStreamOptions = {}): AsyncGenerator<E, void, undefined> {
  const maxAttempts = options.reconnect?.maxAttempts ?? 8;
  const baseDelayMs = options.reconnect?.baseDelayMs ?? 250;
  const maxDelayMs = options.reconnect?.maxDelayMs ?? 5000;
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let lastEventId = options.lastEventId;
  let failures = 0;
  // A refreshable credential refused (an expired runtime token) is asked for again, once per refusal.
  let refreshed = false;
  try {
    for (;;) {
      let reason: unknown;
      let retryAfter: number | undefined;
      try {
        const frames = options.transport === 'websocket'
          ? webSocketFrames(target, path, lastEventId, stop.signal, options.WebSocket)
          : sseFrames(target, path, lastEventId, stop.signal);
        for await (const frame of frames) {
          failures = 0;
          refreshed = false;
          // The server ends the stream after this notice (a failure, an expired token): reconnect.
          if (frame.type === 'stream.error') continue;
          if (frame.id !== null) lastEventId = frame.id;
          yield frame as unknown as E;
        }
        reason = new Error('the server ended the stream');
      } catch (error) {
        if (stop.signal.aborted) return;
        const refresh = error instanceof TesseraError && error.status === 401 && typeof target.credential === 'function' && !refreshed;
        if (refresh) refreshed = true;
        else if (error instanceof TesseraError && !RECONNECTABLE.has(error.status)) throw error;
        reason = error;
        retryAfter = error instanceof TesseraError ? error.retryAfter : undefined;
      }
      if (stop.signal.aborted) return;
      failures++;
      if (failures > maxAttempts) {
        throw new TesseraError({
          status: 0,
          code: 'stream_disconnected',
          message: `the event stream did not come back after ${maxAttempts} attempts: ${(reason as Error)?.message ?? String(reason)}`,
          cause: reason,
        });
      }
      options.onReconnect?.({ attempt: failures, lastEventId, reason });
      const delay = retryAfter !== undefined ? Math.min(retryAfter * 1000, maxDelayMs * 4) : backoffMs(failures - 1, baseDelayMs, maxDelayMs);
      try {
        await sleep(delay, stop.signal);
      } catch {
        return;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

function frameOf(id: string | null, body: unknown): Frame {
  const { type, turn_id: turnId, data } = (body ?? {}) as { type?: unknown; turn_id?: unknown; data?: unknown };
  return {
    id,
    type: typeof type === 'string' ? type : 'unknown',
    ...(typeof turnId === 'string' ? { turn_id: turnId } : {}),
    data: data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {},
  };
}

async function* sseFrames(target: StreamTarget, path: string, after: string | undefined, signal: AbortSignal): AsyncGenerator<Frame> {
  const headers = new Headers(target.headers);
  headers.set('accept', 'text/event-stream');
  headers.set('authorization', `Bearer ${await credentialValue(target.credential)}`);
  if (after !== undefined) headers.set('last-event-id', after);
  let response: Response;
  try {
    response = await target.fetch(new Request(`${target.baseUrl}${path}`, { headers, signal }));
  } catch (error) {
    if (signal.aborted) throw error;
    throw new TesseraError({ status: 0, code: 'network_error', message: `GET ${path}: ${(error as Error).message}`, cause: error });
  }
  if (!response.ok) throw await readError(response);
  if (!response.body || !/^text\/event-stream/i.test(response.headers.get('content-type') ?? '')) {
    await response.body?.cancel();
    throw new TesseraError({ status: response.status, code: 'not_an_event_stream', message: `GET ${path} did not answer with an event stream` });
  }
  const queue: Frame[] = [];
  const parser = new SseParser({
    onMessage: (message) => {
      let body: unknown;
      try {
        body = JSON.parse(message.data);
      } catch {
        return;
      }
      queue.push(frameOf(message.id, body));
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
      while (queue.length > 0) yield queue.shift() as Frame;
    }
  } finally {
    // Ends the request when the consumer stops early.
    reader.cancel().catch(() => undefined);
  }
}

async function* webSocketFrames(
  target: StreamTarget,
  path: string,
  after: string | undefined,
  signal: AbortSignal,
  Impl: typeof WebSocket | undefined,
): AsyncGenerator<Frame> {
  const WebSocketClass = Impl ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (!WebSocketClass) {
    throw new TesseraError({ status: 0, code: 'websocket_unavailable', message: 'no global WebSocket here: pass the `WebSocket` option, or use the SSE transport' });
  }
  const url = new URL(`${target.baseUrl}${path}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // Browsers cannot set headers on a WebSocket: the credential goes in the query.
  url.searchParams.set('access_token', await credentialValue(target.credential));
  if (after !== undefined) url.searchParams.set('after', after);
  const socket = new WebSocketClass(url.toString());
  const queue: Frame[] = [];
  let opened = false;
  let closed: { code: number; reason: string } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.onopen = () => {
    opened = true;
    notify();
  };
  socket.onmessage = (message: MessageEvent) => {
    try {
      const body = JSON.parse(String(message.data)) as { id?: unknown };
      queue.push(frameOf(typeof body.id === 'string' ? body.id : null, body));
    } catch {
      // Not a frame of ours.
    }
    notify();
  };
  socket.onclose = (event: CloseEvent) => {
    closed = { code: event.code, reason: event.reason };
    notify();
  };
  socket.onerror = () => notify();
  const onAbort = () => socket.close(1000, 'client done');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift() as Frame;
      if (closed) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (!opened) {
      throw new TesseraError({ status: 0, code: 'websocket_refused', message: `the WebSocket at ${path} was refused or could not connect (close ${closed?.code ?? '?'})` });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (socket.readyState === WebSocketClass.CONNECTING || socket.readyState === WebSocketClass.OPEN) socket.close(1000, 'client done');
  }
}
