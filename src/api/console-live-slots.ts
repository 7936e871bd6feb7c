/**
 * How many live overview streams one console caller (the admin, or one app's key or session) may
 * hold open at once, across every API replica: the per-credential stream limit of the API's other
 * live streams (`TESSERA_STREAMS_PER_TOKEN`, src/api/limits.ts), counted the way
 * src/api/streams/quota.ts counts them — a sorted set per caller in Redis, each open stream a
 * member scored with the time its slot lapses, so a dead process's slots lapse by themselves.
 *
 * Unlike the chat streams' slots, these are refreshed together: one script call per caller for all
 * of its streams on this process, so fifty open pages cost Redis what one does.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HttpError } from './errors';
import { STREAM_RETRY_AFTER_SECONDS } from './streams/quota';

/** Drops lapsed members, refuses when full (returns 1), else adds the member (returns 0). */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`;

/** Pushes every given member's lapse time forward: one ZADD per 500 members. */
const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local batch = {}
for i = 2, #ARGV do
  batch[#batch + 1] = now + ttl
  batch[#batch + 1] = ARGV[i]
  if #batch == 1000 or i == #ARGV then
    redis.call('ZADD', KEYS[1], unpack(batch))
    batch = {}
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
`;

export type LiveCaller = { kind: 'admin' } | { kind: 'app'; appId: string };

export interface LiveSlot {
  readonly key: string;
  readonly member: string;
}

export const liveSlotKey = (caller: LiveCaller) => (caller.kind === 'admin' ? 'streams:console-live:admin' : `streams:console-live:app:${caller.appId}`);

export class LiveStreamSlots {
  private readonly held = new Map<string, Set<string>>();

  constructor(
    private readonly redis: Redis,
    private readonly limits: { perCaller: number; slotTtlMs: number },
  ) {}

  /** How often `refreshAll` must run for no slot to lapse while its stream is open. */
  get refreshMs(): number {
    return Math.max(50, Math.floor(this.limits.slotTtlMs / 3));
  }

  /** Takes a slot, or refuses with 429 `too_many_streams_for_caller` (503 without Redis). */
  async acquire(caller: LiveCaller): Promise<LiveSlot> {
    const slot = { key: liveSlotKey(caller), member: randomUUID() };
    let full: number;
    try {
      full = Number(await this.redis.eval(ACQUIRE, 1, slot.key, slot.member, this.limits.slotTtlMs, this.limits.perCaller));
    } catch {
      throw new HttpError(503, 'streams_unavailable', 'live streams are unavailable; retry shortly', undefined, { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) });
    }
    if (full !== 0) {
      throw new HttpError(
        429,
        'too_many_streams_for_caller',
        `this caller already holds ${this.limits.perCaller} open live overview streams; close one first`,
        { limit: this.limits.perCaller, scope: 'caller' },
        { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) },
      );
    }
    const members = this.held.get(slot.key) ?? new Set<string>();
    members.add(slot.member);
    this.held.set(slot.key, members);
    return slot;
  }

  async release(slot: LiveSlot): Promise<void> {
    const members = this.held.get(slot.key);
    if (!members?.delete(slot.member)) return;
    if (members.size === 0) this.held.delete(slot.key);
    await this.redis.zrem(slot.key, slot.member).catch(() => undefined);
  }

  /** One script call per caller for all of its slots here; a failure is retried at the next call. */
  async refreshAll(): Promise<void> {
    await Promise.all(
      [...this.held].map(([key, members]) => this.redis.eval(REFRESH, 1, key, this.limits.slotTtlMs, ...members).catch(() => undefined)),
    );
  }
}
