/**
 * A chat's event stream (DESIGN §5 event names) in a Redis Stream `events:{app_id}:{chat_id}`:
 * capped at about 2000 entries and expiring 24 h after the last write, so live clients read it and
 * reconnecting clients resume from their last event id. `publishOnce` is for events a retried
 * activity must not repeat.
 */
import type { Redis } from 'ioredis';
import type { ChatRef } from '../domain/chat';
import { RedisScript } from './redis-script';

export const CHAT_EVENT_TYPES = [
  'turn.started',
  'message.delta',
  'tool.called',
  'tool.result',
  'message.completed',
  'turn.completed',
  'turn.failed',
  'turn.restarted',
  'session.closed',
] as const;

export type ChatEventType = (typeof CHAT_EVENT_TYPES)[number];

export interface ChatEvent {
  type: ChatEventType;
  turn_id?: string;
  data: object;
}

export interface StoredChatEvent {
  /** The stream entry id: what a client passes back as `after` / `Last-Event-ID`. */
  id: string;
  type: ChatEventType;
  turn_id?: string;
  data: Record<string, unknown>;
}

export interface ReadOptions {
  /** Only events after this id (exclusive); from the start of the stream when absent. */
  after?: string;
  count?: number;
  /** Wait up to this long for a new event when there is none yet. */
  blockMs?: number;
}

export const STREAM_MAX_LEN = 2000;
export const STREAM_TTL_SECONDS = 24 * 60 * 60;

// XADD and the TTL refresh in one step, so a stream never exists without its expiry.
const PUBLISH = new RedisScript(`
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[3], 'turn_id', ARGV[4], 'data', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return id
`);

// Several entries in one round trip (a burst of deltas); ARGV[3..] are (type, turn_id, data) triples.
const PUBLISH_MANY = new RedisScript(`
for i = 3, #ARGV, 3 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[i], 'turn_id', ARGV[i + 1], 'data', ARGV[i + 2])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return #ARGV
`);

// The dedup marker remembers the id it published, so a repeat returns the original event's id.
const PUBLISH_ONCE = new RedisScript(`
if not redis.call('SET', KEYS[2], '', 'NX', 'EX', ARGV[2]) then
  return {0, redis.call('GET', KEYS[2])}
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[3], 'turn_id', ARGV[4], 'data', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], id, 'EX', ARGV[2])
return {1, id}
`);

export class ChatEvents {
  constructor(private readonly redis: Redis) {}

  static streamKey(ref: ChatRef): string {
    return `events:${ref.appId}:${ref.chatId}`;
  }

  async publish(ref: ChatRef, event: ChatEvent): Promise<string> {
    return String(await PUBLISH.run(this.redis, [ChatEvents.streamKey(ref)], this.entryArgs(event)));
  }

  /** Publishes the events in order, in one round trip. */
  async publishMany(ref: ChatRef, events: readonly ChatEvent[]): Promise<void> {
    if (events.length === 0) return;
    const entries = events.flatMap((event) => this.entryArgs(event).slice(2));
    await PUBLISH_MANY.run(this.redis, [ChatEvents.streamKey(ref)], [STREAM_MAX_LEN, STREAM_TTL_SECONDS, ...entries]);
  }

  /** A publisher for a burst of events of one chat (see `BurstPublisher`). The text deltas of one
   * step that a batch holds one after another go as one `message.delta` with their text joined:
   * a client reads the same text in the same order, one stream entry (one XADD, one frame per
   * client) instead of one per chunk. Deltas that come slower than Redis answers go one each. */
  burst(ref: ChatRef): BurstPublisher {
    return new BurstPublisher((events) => this.publishMany(ref, joinDeltas(events)));
  }

  /** Publishes unless an event with this dedup key was already published for the chat. */
  async publishOnce(ref: ChatRef, dedupKey: string, event: ChatEvent): Promise<{ id: string; published: boolean }> {
    const key = ChatEvents.streamKey(ref);
    const reply = await PUBLISH_ONCE.run(this.redis, [key, `${key}:once:${dedupKey}`], this.entryArgs(event));
    const [published, id] = Array.isArray(reply) ? reply : [];
    return { id: typeof id === 'string' ? id : '', published: published === 1 };
  }

  /** Id of the newest event, to follow only what comes next ('0-0' when the stream is empty). */
  async lastId(ref: ChatRef): Promise<string> {
    const newest = await this.redis.xrevrange(ChatEvents.streamKey(ref), '+', '-', 'COUNT', 1);
    return newest[0]?.[0] ?? '0-0';
  }

  async read(ref: ChatRef, options: ReadOptions = {}): Promise<StoredChatEvent[]> {
    const key = ChatEvents.streamKey(ref);
    const after = options.after ?? '0-0';
    const count = options.count ?? 500;
    if (!options.blockMs) return parseEntries(await this.redis.xread('COUNT', count, 'STREAMS', key, after));
    // A one-off blocking read; a client that follows the stream keeps one reader (openReader) instead.
    const reader = this.openReader(ref);
    try {
      return await reader.waitAfter(after, count, options.blockMs);
    } finally {
      reader.close();
    }
  }

  /**
   * A reader that follows one chat's stream on a Redis connection of its own (XREAD BLOCK holds
   * its connection), reused for every read until `close()`. `name` labels the connection in
   * CLIENT LIST.
   */
  openReader(ref: ChatRef, name?: string): ChatStreamReader {
    return new ChatStreamReader(this.redis.duplicate(name ? { connectionName: name } : {}), ChatEvents.streamKey(ref));
  }

  private entryArgs(event: ChatEvent): (string | number)[] {
    return [STREAM_MAX_LEN, STREAM_TTL_SECONDS, event.type, event.turn_id ?? '', JSON.stringify(event.data)];
  }
}

/**
 * Sends each event as soon as nothing else is on its way, and gathers the events that arrive
 * meanwhile into the next round trip: one event per round trip when they come slower than Redis
 * answers (no added delay), a batch per round trip when they come faster (a model streaming a
 * cached answer, a busy worker). Order is kept; `flushed` settles once everything was written and
 * rejects with the first failure.
 */
export class BurstPublisher {
  private pending: ChatEvent[] = [];
  private sending: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly send: (events: readonly ChatEvent[]) => Promise<void>) {}

  push(event: ChatEvent): void {
    this.pending.push(event);
    this.sending ??= this.drain();
  }

  async flushed(): Promise<void> {
    await this.sending;
    if (this.failure !== undefined) throw this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && this.failure === undefined) {
        const batch = this.pending;
        this.pending = [];
        await this.send(batch);
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.sending = undefined;
    }
  }
}

type DeltaEvent = ChatEvent & { type: 'message.delta'; data: { step: number; delta: string } };

function isPlainDelta(event: ChatEvent): event is DeltaEvent {
  const data = event.data as Record<string, unknown>;
  return event.type === 'message.delta' && typeof data.delta === 'string' && typeof data.step === 'number' && Object.keys(data).length === 2;
}

/** Consecutive deltas of the same turn and step joined into one; every other event kept as is,
 * in order. */
export function joinDeltas(events: readonly ChatEvent[]): ChatEvent[] {
  const out: ChatEvent[] = [];
  for (const event of events) {
    const last = out.at(-1);
    if (last && isPlainDelta(last) && isPlainDelta(event) && last.turn_id === event.turn_id && last.data.step === event.data.step) {
      out[out.length - 1] = { ...last, data: { step: last.data.step, delta: last.data.delta + event.data.delta } };
    } else {
      out.push(event);
    }
  }
  return out;
}

/** Entries that were trimmed away between a reader's position and what the stream still holds. */
export interface StreamGap {
  /** Oldest entry still in the stream; null when the stream is gone (expired). */
  firstAvailableId: string | null;
  /** The position just before the oldest entry: reading after it continues without a new gap. */
  resumeAfter: string | null;
}

export interface ReaderBatch {
  events: StoredChatEvent[];
  /** Set when events after the requested position were trimmed (capped stream) or expired. */
  gap?: StreamGap;
}

/**
 * Follows one chat's stream on a dedicated connection. `next` first reads what is already there
 * together with the stream's trim state (one MULTI, so both describe the same instant), and only
 * when it is caught up blocks for new entries: a gap can only open while a reader is behind, and
 * entries that arrive during a block are the direct successors of its position.
 */
export class ChatStreamReader {
  constructor(
    private readonly connection: Redis,
    private readonly key: string,
  ) {}

  /** Up to `count` events after `after`, waiting up to `blockMs` when there are none; `checkGap`
   * false skips the trim check (the caller already reported a gap at this position). */
  async next(after: string, count: number, blockMs: number, checkGap = true): Promise<ReaderBatch> {
    const caughtUp = await this.catchUp(after, count, checkGap);
    if (caughtUp.events.length > 0 || caughtUp.gap) return caughtUp;
    return { events: await this.waitAfter(after, count, blockMs) };
  }

  async waitAfter(after: string, count: number, blockMs: number): Promise<StoredChatEvent[]> {
    return parseEntries(await this.connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, after));
  }

  /** Ends the reader; a read waiting on the connection rejects. */
  close(): void {
    this.connection.disconnect();
  }

  private async catchUp(after: string, count: number, checkGap: boolean): Promise<ReaderBatch> {
    if (!checkGap) return { events: parseEntries(await this.connection.xread('COUNT', count, 'STREAMS', this.key, after)) };
    const replies = await this.connection.multi().xinfo('STREAM', this.key).xread('COUNT', count, 'STREAMS', this.key, after).exec();
    const [info, read] = replies ?? [];
    if (read?.[0]) throw read[0];
    const events = parseEntries(read?.[1] as XReadReply);
    const gap = info?.[0] ? missingStreamGap(info[0], after) : trimGap(info?.[1], after);
    return gap ? { events, gap } : { events };
  }
}

/** The stream is gone (never written, or expired): a reader that had seen an event missed the rest. */
function missingStreamGap(error: Error, after: string): StreamGap | undefined {
  if (!/no such key/i.test(error.message)) throw error;
  return after === '0-0' ? undefined : { firstAvailableId: null, resumeAfter: null };
}

/**
 * Trimming (MAXLEN) removes the oldest entries, so what was lost is everything before the oldest
 * entry. A reader from the start missed something when more entries were ever added than the
 * stream holds; a reader at an entry id missed something when an id could lie between its position
 * and the oldest entry (its own entry trimmed right at the boundary is reported too: Redis does
 * not record the newest trimmed id).
 */
function trimGap(info: unknown, after: string): StreamGap | undefined {
  const fields = new Map<string, unknown>();
  if (Array.isArray(info)) for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1]);
  const firstEntry = fields.get('first-entry');
  const firstAvailableId = Array.isArray(firstEntry) && typeof firstEntry[0] === 'string' ? firstEntry[0] : null;
  if (firstAvailableId === null) return undefined;
  const resumeAfter = previousEntryId(firstAvailableId);
  if (after === '0-0') {
    // `entries-added` exists from Redis 7.0; older servers cannot tell, and no gap is reported.
    const added = Number(fields.get('entries-added'));
    const length = Number(fields.get('length'));
    return added > length ? { firstAvailableId, resumeAfter } : undefined;
  }
  return compareEntryIds(after, resumeAfter) < 0 ? { firstAvailableId, resumeAfter } : undefined;
}

const MAX_SEQ = 2n ** 64n - 1n;

/** The greatest id below `id`: XREAD after it starts exactly at `id`. */
export function previousEntryId(id: string): string {
  const [ms = 0n, seq = 0n] = id.split('-').map(BigInt);
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms > 0n ? `${ms - 1n}-${MAX_SEQ}` : '0-0';
}

/** Orders stream entry ids (`<ms>-<seq>`) numerically. */
export function compareEntryIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

function parseEntries(reply: XReadReply): StoredChatEvent[] {
  const entries = reply?.[0]?.[1] ?? [];
  return entries.map(([id, fields]) => {
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] ?? '', fields[i + 1] ?? '');
    const turnId = values.get('turn_id');
    const data: unknown = JSON.parse(values.get('data') ?? '{}');
    return {
      id,
      type: (values.get('type') ?? '') as ChatEventType,
      ...(turnId ? { turn_id: turnId } : {}),
      data: data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {},
    };
  });
}
