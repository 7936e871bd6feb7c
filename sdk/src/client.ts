/**
 * The two clients, typed from the API's own OpenAPI document (`schema.ts`, generated) through
 * openapi-fetch:
 *
 * - `createServerClient({ baseUrl, appKey })` for an app's backend: sessions, chats, messages,
 *   events, packs and their runs, analytics, a user's erasure.
 * - `createBrowserClient({ session, runtimeToken? })` for a web page, with the runtime token of one
 *   chat: messages, the chat's reads, cancel/close, events.
 *
 * Both throw `TesseraError` for every refusal, retry 429/503 after `Retry-After` (bounded), and send
 * messages with a `message_id` (the caller's, or a generated one), so a retried send returns the same
 * turn. `raw` is the typed openapi-fetch client for anything not wrapped here.
 */
import createClient, { type Client } from 'openapi-fetch';
import { TesseraError } from './errors.js';
import { eventStream, type ChatEvent, type EventStreamOptions, type PackRunEvent, type StreamTarget } from './events.js';
import { fetchLayer, resolveRetry, unwrap, type Credential, type RetryOptions } from './http.js';
import { newMessageId } from './ids.js';
import type { paths } from './schema.js';
import { TurnStream, type SendOutcome } from './turn.js';

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];
type ResponseOf<P extends keyof paths, M extends keyof paths[P], S extends number> = Operation<P, M> extends { responses: infer R } ? (S extends keyof R ? JsonOf<R[S]> : never) : never;
type BodyOf<P extends keyof paths, M extends keyof paths[P]> = Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;
type QueryOf<P extends keyof paths, M extends keyof paths[P]> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type Session = ResponseOf<'/v1/sessions', 'post', 200>;
export type SessionRequest = BodyOf<'/v1/sessions', 'post'>;
export type Chat = ResponseOf<'/v1/chats/{chat_id}', 'get', 200>;
export type ChatList = ResponseOf<'/v1/chats', 'get', 200>;
export type ChatListQuery = QueryOf<'/v1/chats', 'get'>;
export type Transcript = ResponseOf<'/v1/chats/{chat_id}/messages', 'get', 200>;
export type TranscriptQuery = QueryOf<'/v1/chats/{chat_id}/messages', 'get'>;
export type MessageRequest = BodyOf<'/v1/chats/{chat_id}/messages', 'post'>;
export type Turn = ResponseOf<'/v1/chats/{chat_id}/messages', 'post', 200>;
export type AcceptedTurn = ResponseOf<'/v1/chats/{chat_id}/messages', 'post', 202>;
export type PackList = ResponseOf<'/v1/packs', 'get', 200>;
export type PackRunRequest = BodyOf<'/v1/packs/{pack}/runs', 'post'>;
export type PackRunStarted = ResponseOf<'/v1/packs/{pack}/runs', 'post', 201>;
export type PackRun = ResponseOf<'/v1/pack-runs/{run_id}', 'get', 200>;
export type AnalyticsQuery = QueryOf<'/v1/analytics/cost', 'get'>;
export type CostReport = ResponseOf<'/v1/analytics/cost', 'get', 200>;
export type UsageReport = ResponseOf<'/v1/analytics/usage', 'get', 200>;
export type PerformanceReport = ResponseOf<'/v1/analytics/performance', 'get', 200>;
export type InsightQuery = QueryOf<'/v1/analytics/engagement', 'get'>;
export type EngagementReport = ResponseOf<'/v1/analytics/engagement', 'get', 200>;
export type ErrorsReport = ResponseOf<'/v1/analytics/errors', 'get', 200>;
export type BudgetForecast = ResponseOf<'/v1/analytics/budget-forecast', 'get', 200>;
export type AuditQuery = QueryOf<'/v1/audit', 'get'>;
export type AuditPage = ResponseOf<'/v1/audit', 'get', 200>;
export type AuditEntry = AuditPage['entries'][number];
export type AuditVerification = ResponseOf<'/v1/audit/verify', 'get', 200>;

/** The typed openapi-fetch client of the whole API (credential, retries included). */
export type RawClient = Client<paths>;

export interface ClientOptions {
  /** The API's address, e.g. `https://tessera.example.com`. */
  baseUrl: string;
  /** A fetch to use instead of the global one. */
  fetch?: (input: Request) => Promise<Response>;
  /** Bounded retry of 429/503 (default: 3 retries, waits up to 30 s as `Retry-After` says). */
  retry?: RetryOptions;
  /** Extra headers on every request (a backend may pass `x-tessera-actor`). */
  headers?: Record<string, string>;
}

export interface SendOptions {
  /** The idempotency key (also the turn id): a retried send with the same id returns the same turn. Default: a new random id. */
  messageId?: string;
  onBusy?: MessageRequest['on_busy'];
  signal?: AbortSignal;
}

export interface StreamReplyOptions extends SendOptions, Omit<EventStreamOptions, 'signal'> {}

interface Core {
  raw: RawClient;
  /** The same, but also retrying after a network failure (for requests that are safe to repeat). */
  idempotent: (input: Request) => Promise<Response>;
  target: StreamTarget;
}

function core(options: ClientOptions, credential: Credential): Core {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const retry = resolveRetry(options.retry);
  const headers = { ...options.headers };
  const layer = (retryNetwork: boolean) => fetchLayer({ fetch: fetchImpl, credential, retry, headers, retryNetwork });
  return {
    raw: createClient<paths>({ baseUrl, fetch: layer(false) }),
    idempotent: layer(true),
    target: { baseUrl, fetch: fetchImpl, credential, headers },
  };
}

const chatPath = (chatId: string) => ({ path: { chat_id: chatId } });

/** Chat operations both clients share (the browser one binds them to its chat). */
class Chats {
  /** The last event id seen per chat, so the next reply's stream starts there instead of at the oldest event. */
  private readonly positions = new Map<string, string>();

  constructor(private readonly c: Core) {}

  get(chatId: string): Promise<Chat> {
    return unwrap(this.c.raw.GET('/v1/chats/{chat_id}', { params: chatPath(chatId) }));
  }

  messages(chatId: string, query: TranscriptQuery = {}): Promise<Transcript> {
    return unwrap(this.c.raw.GET('/v1/chats/{chat_id}/messages', { params: { ...chatPath(chatId), query } }));
  }

  /** Sends a message and waits for the reply (`?wait=true`): the answer, its usage and cost. */
  send(chatId: string, content: string, options: SendOptions = {}): Promise<Turn> {
    return unwrap(
      this.c.raw.POST('/v1/chats/{chat_id}/messages', {
        params: { ...chatPath(chatId), query: { wait: 'true' } },
        body: this.body(content, options),
        fetch: this.c.idempotent,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    ) as Promise<Turn>;
  }

  /** Sends a message without waiting (202): the turn id to follow on the events. */
  async submit(chatId: string, content: string, options: SendOptions = {}): Promise<SendOutcome> {
    const { data, error, response } = await this.c.raw.POST('/v1/chats/{chat_id}/messages', {
      params: { ...chatPath(chatId), query: { wait: 'false' } },
      body: this.body(content, options),
      fetch: this.c.idempotent,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (error !== undefined || !data) await unwrap(Promise.resolve({ data, error, response }));
    if (response.status === 202) return { status: 'accepted', turn_id: (data as AcceptedTurn).turn_id };
    // A message id whose turn already finished: its stored reply.
    const turn = data as Turn;
    return {
      status: 'finished',
      result: { turn_id: turn.turn_id, content: turn.message.content, usage: turn.usage, tool_calls: [], last_event_id: undefined },
    };
  }

  /**
   * Sends a message and follows its turn: iterate for the turn's events (`text` is the reply so
   * far), then `await stream.result` for the reply, usage and cost. Ends on `turn.completed`;
   * `turn.failed` throws a `TesseraError` with the failure's code.
   */
  sendAndStream(chatId: string, content: string, options: StreamReplyOptions = {}): TurnStream {
    const messageId = options.messageId ?? newMessageId();
    const { signal, lastEventId, ...streamOptions } = options;
    return new TurnStream(
      messageId,
      () => this.submit(chatId, content, { ...options, messageId }),
      (after) => this.events(chatId, { ...streamOptions, ...(after !== undefined ? { lastEventId: after } : {}), ...(signal ? { signal } : {}) }),
      lastEventId ?? this.positions.get(chatId),
      (id) => this.positions.set(chatId, id),
    );
  }

  /** Like `sendAndStream`, for who only wants the result; `onText` hears the reply as it grows. */
  async reply(chatId: string, content: string, options: StreamReplyOptions & { onText?: (text: string, event: ChatEvent) => void } = {}) {
    const { onText, ...rest } = options;
    const stream = this.sendAndStream(chatId, content, rest);
    for await (const event of stream) onText?.(stream.text, event);
    return stream.result;
  }

  /** The chat's live events, resuming by itself after a dropped connection. */
  events(chatId: string, options: EventStreamOptions = {}): AsyncGenerator<ChatEvent, void, undefined> {
    const path = options.transport === 'websocket' ? 'ws' : 'events';
    return eventStream<ChatEvent>(this.c.target, `/v1/chats/${encodeURIComponent(chatId)}/${path}`, options);
  }

  cancel(chatId: string, turnId?: string): Promise<{ ok: true }> {
    return unwrap(this.c.raw.POST('/v1/chats/{chat_id}/cancel', { params: chatPath(chatId), body: turnId ? { turn_id: turnId } : {} })) as Promise<{ ok: true }>;
  }

  close(chatId: string): Promise<{ ok: true }> {
    return unwrap(this.c.raw.POST('/v1/chats/{chat_id}/close', { params: chatPath(chatId) })) as Promise<{ ok: true }>;
  }

  list(query: ChatListQuery = {}): Promise<ChatList> {
    return unwrap(this.c.raw.GET('/v1/chats', { params: { query } }));
  }

  private body(content: string, options: SendOptions): MessageRequest {
    return { content, message_id: options.messageId ?? newMessageId(), ...(options.onBusy ? { on_busy: options.onBusy } : {}) };
  }
}

export interface ServerClientOptions extends ClientOptions {
  /** The app's key (`Authorization: Bearer`). Keep it on the server: app-key routes never answer CORS. */
  appKey: Credential;
}

export interface ServerClient {
  raw: RawClient;
  sessions: {
    /** Starts a chat for a user (or resumes `chat_id`): its id, stream URLs and a runtime token for the page. */
    create(request: SessionRequest): Promise<Session>;
  };
  chats: {
    list(query: ChatListQuery & { user_id: string }): Promise<ChatList>;
    get(chatId: string): Promise<Chat>;
    messages(chatId: string, query?: TranscriptQuery): Promise<Transcript>;
    send(chatId: string, content: string, options?: SendOptions): Promise<Turn>;
    submit(chatId: string, content: string, options?: SendOptions): Promise<SendOutcome>;
    sendAndStream(chatId: string, content: string, options?: StreamReplyOptions): TurnStream;
    reply: Chats['reply'];
    events(chatId: string, options?: EventStreamOptions): AsyncGenerator<ChatEvent, void, undefined>;
    cancel(chatId: string, turnId?: string): Promise<{ ok: true }>;
    close(chatId: string): Promise<{ ok: true }>;
  };
  packs: {
    list(): Promise<PackList>;
    run(pack: string, request: PackRunRequest): Promise<PackRunStarted>;
    get(runId: string): Promise<PackRun>;
    cancel(runId: string): Promise<unknown>;
    events(runId: string, options?: Omit<EventStreamOptions, 'transport' | 'WebSocket'>): AsyncGenerator<PackRunEvent, void, undefined>;
  };
  analytics: {
    cost(query: AnalyticsQuery): Promise<CostReport>;
    usage(query: QueryOf<'/v1/analytics/usage', 'get'>): Promise<UsageReport>;
    performance(query: QueryOf<'/v1/analytics/performance', 'get'>): Promise<PerformanceReport>;
    /** Daily, weekly and monthly active users, sessions per user, turns per session, weekly retention cohorts. */
    engagement(query: InsightQuery): Promise<EngagementReport>;
    /** Failed turns and pack steps grouped by kind, code, model and template. */
    errors(query: QueryOf<'/v1/analytics/errors', 'get'>): Promise<ErrorsReport>;
    /** Month-to-date spend, its month-end projection and the budget's run-out day. */
    budgetForecast(query?: QueryOf<'/v1/analytics/budget-forecast', 'get'>): Promise<BudgetForecast>;
  };
  audit: {
    /** One page of the app's audit log, newest first (`next_cursor` reads the next). */
    list(query?: AuditQuery): Promise<AuditPage>;
    /** Every page after the filter, one entry at a time. */
    entries(query?: Omit<AuditQuery, 'cursor'>): AsyncGenerator<AuditEntry, void, undefined>;
    /** Walks the app's hash chain: `{ok, checked, first_broken?}`. */
    verify(): Promise<AuditVerification>;
  };
  users: {
    /** Erases a user's chats and analytics rows (the app's own users; audited by pseudonym). */
    erase(appId: string, userId: string): Promise<unknown>;
  };
}

export function createServerClient(options: ServerClientOptions): ServerClient {
  const c = core(options, options.appKey);
  const chats = new Chats(c);
  return {
    raw: c.raw,
    sessions: {
      create: (request) => unwrap(c.raw.POST('/v1/sessions', { body: request })),
    },
    chats: {
      list: (query) => chats.list(query),
      get: (chatId) => chats.get(chatId),
      messages: (chatId, query) => chats.messages(chatId, query),
      send: (chatId, content, opts) => chats.send(chatId, content, opts),
      submit: (chatId, content, opts) => chats.submit(chatId, content, opts),
      sendAndStream: (chatId, content, opts) => chats.sendAndStream(chatId, content, opts),
      reply: (chatId, content, opts) => chats.reply(chatId, content, opts),
      events: (chatId, opts) => chats.events(chatId, opts),
      cancel: (chatId, turnId) => chats.cancel(chatId, turnId),
      close: (chatId) => chats.close(chatId),
    },
    packs: {
      list: () => unwrap(c.raw.GET('/v1/packs')),
      run: (pack, request) => unwrap(c.raw.POST('/v1/packs/{pack}/runs', { params: { path: { pack } }, body: request })) as Promise<PackRunStarted>,
      get: (runId) => unwrap(c.raw.GET('/v1/pack-runs/{run_id}', { params: { path: { run_id: runId } } })),
      cancel: (runId) => unwrap(c.raw.POST('/v1/pack-runs/{run_id}/cancel', { params: { path: { run_id: runId } } })),
      events: (runId, opts) => eventStream<PackRunEvent>(c.target, `/v1/pack-runs/${encodeURIComponent(runId)}/events`, { ...opts, transport: 'sse' }),
    },
    analytics: {
      cost: (query) => unwrap(c.raw.GET('/v1/analytics/cost', { params: { query } })),
      usage: (query) => unwrap(c.raw.GET('/v1/analytics/usage', { params: { query } })),
      performance: (query) => unwrap(c.raw.GET('/v1/analytics/performance', { params: { query } })),
      engagement: (query) => unwrap(c.raw.GET('/v1/analytics/engagement', { params: { query } })),
      errors: (query) => unwrap(c.raw.GET('/v1/analytics/errors', { params: { query } })),
      budgetForecast: (query = {}) => unwrap(c.raw.GET('/v1/analytics/budget-forecast', { params: { query } })),
    },
    audit: {
      list: (query = {}) => unwrap(c.raw.GET('/v1/audit', { params: { query } })),
      async *entries(query = {}) {
        let cursor: string | undefined;
        do {
          const page: AuditPage = await unwrap(c.raw.GET('/v1/audit', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } }));
          yield* page.entries;
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
      },
      verify: () => unwrap(c.raw.GET('/v1/audit/verify', { params: { query: {} } })),
    },
    users: {
      erase: (appId, userId) => unwrap(c.raw.DELETE('/v1/apps/{app_id}/users/{user_id}', { params: { path: { app_id: appId, user_id: userId } } })),
    },
  };
}

export interface BrowserClientOptions extends Partial<ClientOptions> {
  /** What the app's backend got from `POST /v1/sessions` (its `chat_id`, `sse_url` and `runtime_token`). */
  session?: Pick<Session, 'chat_id' | 'sse_url'> & Partial<Pick<Session, 'runtime_token'>>;
  /** The runtime token, or a function that returns a fresh one (ask your backend for a new session). Default: the session's. */
  runtimeToken?: Credential;
  /** The chat (default: the session's). */
  chatId?: string;
}

export interface BrowserClient {
  raw: RawClient;
  readonly chatId: string;
  /** Sends a message and waits for the reply. */
  send(content: string, options?: SendOptions): Promise<Turn>;
  /** Sends a message and follows its turn (see `TurnStream`). */
  sendAndStream(content: string, options?: StreamReplyOptions): TurnStream;
  reply(content: string, options?: Parameters<Chats['reply']>[2]): Promise<Awaited<ReturnType<Chats['reply']>>>;
  chat(): Promise<Chat>;
  messages(query?: TranscriptQuery): Promise<Transcript>;
  /** The token's user's recent chats. */
  chats(query?: Omit<ChatListQuery, 'user_id'>): Promise<ChatList>;
  cancel(turnId?: string): Promise<{ ok: true }>;
  close(): Promise<{ ok: true }>;
  events(options?: EventStreamOptions): AsyncGenerator<ChatEvent, void, undefined>;
}

/** The API's base URL from a session's `sse_url` (`<base>/v1/chats/<id>/events`). */
export function baseUrlOf(sseUrl: string): string {
  const at = sseUrl.indexOf('/v1/chats/');
  if (at === -1) throw new TesseraError({ status: 0, code: 'bad_session', message: `not a Tessera sse_url: ${sseUrl}` });
  return sseUrl.slice(0, at);
}

export function createBrowserClient(options: BrowserClientOptions): BrowserClient {
  const baseUrl = options.baseUrl ?? (options.session ? baseUrlOf(options.session.sse_url) : undefined);
  const chatId = options.chatId ?? options.session?.chat_id;
  const credential = options.runtimeToken ?? options.session?.runtime_token;
  if (!baseUrl || !chatId || credential === undefined) {
    throw new TesseraError({ status: 0, code: 'bad_options', message: 'createBrowserClient needs a session (or baseUrl, chatId and runtimeToken)' });
  }
  const c = core({ ...options, baseUrl }, credential);
  const chats = new Chats(c);
  return {
    raw: c.raw,
    chatId,
    send: (content, opts) => chats.send(chatId, content, opts),
    sendAndStream: (content, opts) => chats.sendAndStream(chatId, content, opts),
    reply: (content, opts) => chats.reply(chatId, content, opts),
    chat: () => chats.get(chatId),
    messages: (query) => chats.messages(chatId, query),
    chats: (query = {}) => chats.list(query),
    cancel: (turnId) => chats.cancel(chatId, turnId),
    close: () => chats.close(chatId),
    events: (opts) => chats.events(chatId, opts),
  };
}

/** A typed client with any bearer credential (an admin key, for the admin routes) — only `raw`. */
export function createApiClient(options: ClientOptions & { key: Credential }): RawClient {
  return core(options, options.key).raw;
}
