/**
 * Clients that behave as a real one does against two API replicas: a request that meets a
 * connection error, a 5xx or a 429 is sent again — the same body, so the same `message_id` —
 * to the other replica, with backoff, until it is answered or the deadline passes. The SSE
 * follower reconnects the same way, resuming after the last event id it saw.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createParser } from 'eventsource-parser';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export class GaveUpError extends Error {
  constructor(what: string, last: string) {
    super(`${what}: gave up at the deadline (last: ${last})`);
    this.name = 'GaveUpError';
  }
}

const REQUEST_TIMEOUT_MS = 60_000;
const MAX_BACKOFF_MS = 2_000;

function backoff(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

export class ApiPool {
  constructor(
    readonly urls: readonly string[],
    /** Requests stop being retried after this instant (epoch ms). */
    readonly deadline: number,
  ) {}

  /** Sends until a non-retryable answer; `first` picks the replica tried first. */
  async call(method: string, path: string, key: string, body: unknown, first = 0): Promise<Answer & { attempts: number }> {
    let last = 'nothing yet';
    for (let attempt = 0; Date.now() < this.deadline; attempt++) {
      const url = this.urls[(first + attempt) % this.urls.length];
      try {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(Math.max(1, Math.min(REQUEST_TIMEOUT_MS, this.deadline - Date.now()))),
        });
        const text = await response.text();
        const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (!retryable(response.status)) return { status: response.status, body: parsed, attempts: attempt + 1 };
        last = `${response.status} ${text.slice(0, 200)}`;
      } catch (error) {
        last = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      await sleep(backoff(attempt));
    }
    throw new GaveUpError(`${method} ${path}`, last);
  }
}

export interface StreamFrame {
  id: string;
  type: string;
  turn_id?: string;
}

/**
 * Follows one chat's live events over SSE from either replica, reconnecting with `Last-Event-ID`.
 * Keeps every frame it was handed (and how many ids came twice), and how often it resumed.
 */
export class StreamFollower {
  readonly frames: StreamFrame[] = [];
  readonly seen = new Set<string>();
  duplicates = 0;
  /** Ids that came after a later one (out of order). */
  disorder = 0;
  resumes = 0;
  private lastId: string | undefined;
  private readonly abort = new AbortController();
  private readonly waiters: { turnId: string; resolve: (type: string) => void }[] = [];
  private readonly ended = new Map<string, string>();
  readonly done: Promise<void>;

  constructor(
    private readonly pool: ApiPool,
    private readonly chatId: string,
    private readonly key: string,
    private readonly first: number,
  ) {
    this.done = this.follow();
  }

  /** Resolves with `turn.completed` or `turn.failed` once that turn's end arrives. */
  turnEnd(turnId: string): Promise<string> {
    const ended = this.ended.get(turnId);
    if (ended) return Promise.resolve(ended);
    return new Promise((resolve) => this.waiters.push({ turnId, resolve }));
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async follow(): Promise<void> {
    for (let attempt = 0; !this.abort.signal.aborted && Date.now() < this.pool.deadline; attempt++) {
      const url = this.pool.urls[(this.first + attempt) % this.pool.urls.length];
      try {
        const response = await fetch(`${url}/v1/chats/${encodeURIComponent(this.chatId)}/events`, {
          headers: { accept: 'text/event-stream', authorization: `Bearer ${this.key}`, ...(this.lastId ? { 'last-event-id': this.lastId } : {}) },
          signal: this.abort.signal,
        });
        if (response.status === 200 && response.body) {
          if (this.frames.length > 0) this.resumes++;
          attempt = -1;
          await this.read(response.body);
        } else {
          await response.body?.cancel();
        }
      } catch {
        // Cut (the replica died) or aborted by close(): resume below, or stop.
      }
      if (this.abort.signal.aborted) return;
      await sleep(backoff(Math.max(0, attempt)));
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const parser = createParser({
      onEvent: (message) => {
        if (!message.id) return;
        const frame = { id: message.id, ...(JSON.parse(message.data) as { type: string; turn_id?: string }) };
        this.take(frame);
      },
    });
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  }

  private take(frame: StreamFrame): void {
    if (this.seen.has(frame.id)) {
      this.duplicates++;
      return;
    }
    if (this.lastId && compareStreamIds(frame.id, this.lastId) < 0) this.disorder++;
    this.seen.add(frame.id);
    this.frames.push({ id: frame.id, type: frame.type, ...(frame.turn_id ? { turn_id: frame.turn_id } : {}) });
    this.lastId = frame.id;
    if (frame.turn_id && (frame.type === 'turn.completed' || frame.type === 'turn.failed')) {
      this.ended.set(frame.turn_id, frame.type);
      for (const waiter of this.waiters.filter((entry) => entry.turnId === frame.turn_id)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame.type);
      }
    }
  }
}

/** Orders Redis stream ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
