/**
 * How many live streams (SSE and WebSocket, chat events and pack-run progress) one runtime token and
 * one app may hold open at once, counted in Redis so the limit holds across API replicas.
 *
 * Each open stream is a member of a sorted set per app (and per runtime token), scored with the
 * time its slot lapses. The process serving the stream pushes that time forward while the stream
 * is open and removes the member when it ends; a process that dies stops pushing, so its slots
 * lapse by themselves within the slot TTL and nothing is held for ever. Counting and adding happen
 * in one script, so two replicas cannot both take the last slot.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Caller } from '../auth/caller';
import { HttpError } from '../errors';
import type { StreamSettings } from './settings';

export interface StreamQuotaLimits {
  /** Open streams one runtime token may hold. */
  perToken: number;
  /** Open streams one app may hold, whatever the credential. */
  perApp: number;
  /** A slot lapses this long after its last refresh (the stream's process died or hung). */
  slotTtlMs: number;
}

export function streamQuota(settings: StreamSettings): StreamQuotaLimits {
  return { perToken: settings.streamsPerToken, perApp: settings.streamsPerApp, slotTtlMs: settings.streamSlotTtlMs };
}

/** Counts the live slots, lapsed ones dropped; takes one in every set or in none. Returns 0 when
 * taken, else the 1-based index of the first key that is full. Time is Redis's, so replicas agree. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[1])
  redis.call('PEXPIRE', key, ttl)
end
return 0
`;

const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[1])
  redis.call('PEXPIRE', key, ttl)
end
return 0
`;

/** One taken slot: refreshed while the stream is open, given back exactly once. */
export interface StreamSlot {
  release(): Promise<void>;
}

export const STREAM_RETRY_AFTER_SECONDS = 5;

export function streamQuotaKeys(caller: Exclude<Caller, { kind: 'admin' }>): { keys: string[]; scopes: ('app' | 'token')[] } {
  const app = `streams:app:${caller.appId}`;
  if (caller.kind !== 'runtime') return { keys: [app], scopes: ['app'] };
  return { keys: [app, `streams:token:${caller.tokenId}`], scopes: ['app', 'token'] };
}

/**
 * Takes a slot for a stream the caller is about to open, or refuses with 429
 * (`too_many_streams_for_token` / `too_many_streams_for_app`, with `Retry-After`). `isGone` says the
 * stream's connection is gone (checked at each refresh): a slot whose release was missed is then
 * given back at the next refresh instead of being refreshed.
 */
export async function acquireStreamSlot(
  redis: Redis,
  caller: Exclude<Caller, { kind: 'admin' }>,
  limits: StreamQuotaLimits,
  isGone: () => boolean = () => false,
): Promise<StreamSlot> {
  const { keys, scopes } = streamQuotaKeys(caller);
  const member = randomUUID();
  const max = scopes.map((scope) => (scope === 'app' ? limits.perApp : limits.perToken));
  let full: number;
  try {
    full = Number(await redis.eval(ACQUIRE, keys.length, ...keys, member, limits.slotTtlMs, ...max));
  } catch {
    // Redis carries every live stream: without it no stream can be served.
    throw new HttpError(503, 'streams_unavailable', 'live streams are unavailable; retry shortly', undefined, { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) });
  }
  if (full !== 0) {
    const scope = scopes[full - 1];
    throw new HttpError(
      429,
      scope === 'token' ? 'too_many_streams_for_token' : 'too_many_streams_for_app',
      scope === 'token'
        ? `this runtime token already holds ${limits.perToken} open streams; close one first`
        : `app '${caller.appId}' already holds ${limits.perApp} open streams; close one first`,
      { limit: scope === 'token' ? limits.perToken : limits.perApp, scope },
      { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) },
    );
  }
  let released: Promise<void> | undefined;
  const release = (): Promise<void> => {
    released ??= (async () => {
      clearInterval(timer);
      await Promise.all(keys.map((key) => redis.zrem(key, member))).catch(() => undefined);
    })();
    return released;
  };
  const timer = setInterval(() => {
    if (isGone()) {
      void release();
      return;
    }
    // A failed refresh is retried at the next tick; the slot lapses only if they all fail.
    redis.eval(REFRESH, keys.length, ...keys, member, limits.slotTtlMs).catch(() => undefined);
  }, Math.max(50, Math.floor(limits.slotTtlMs / 3)));
  timer.unref();
  return { release };
}
