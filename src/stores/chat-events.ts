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
    // XREAD BLOCK holds its connection: use a connection of its own, not the shared one.
    const blocking = this.redis.duplicate();
    try {
      return parseEntries(await blocking.xread('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', key, after));
    } finally {
      blocking.disconnect();
    }
  }

  private entryArgs(event: ChatEvent): (string | number)[] {
    return [STREAM_MAX_LEN, STREAM_TTL_SECONDS, event.type, event.turn_id ?? '', JSON.stringify(event.data)];
  }
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
