/**
 * Admission of turns per app, shared by every API replica through Redis: at most
 * `max_concurrent_turns` turns admitted and not yet finished, and at most `turns_per_minute`
 * admitted per calendar minute. One Lua script checks and takes a slot atomically (Redis runs
 * scripts one at a time), so N replicas together never admit more than the limit.
 *
 * A slot is held by its turn id in a sorted set scored by a lease expiry: the worker releases it
 * when the turn ends (`finishTurn`/`discardTurn`), and a slot whose releaser died expires with its
 * lease instead of leaking. Time comes from the Redis server, one clock for every replica.
 *
 * The same script honours the ops autopilot's levers at once on every replica (`ops-controls.ts`):
 * a pause refuses every turn, a throttle multiplies both limits by its factor; and an app whose
 * monthly budget is spent is refused (`budgets.ts`).
 */
import type { Redis } from 'ioredis';
import type { AppLimits } from '../domain/apps';
import { budgetScopes } from './budgets';
import { opsControlKeys } from './ops-controls';
import { RedisScript } from './redis-script';

export type AdmissionResult =
  | { admitted: true; throttleFactor?: number }
  | { admitted: false; reason: 'concurrency' | 'rate' | 'paused' | 'budget'; retryAfterSeconds: number; throttled?: boolean };

/** Longest a turn may hold a slot without being released (a turn that takes longer frees it early). */
export const DEFAULT_LEASE_MS = 10 * 60_000;

// KEYS: running turns (zset), admitted per minute (hash minute -> count), ops throttle (hash),
// ops pause, budget limit, budget usage (hash).
// ARGV: turn id, lease ms, max concurrent, per minute.
// Returns {1} admitted (or already holding a slot), {0, reason, retry after seconds, throttled}.
const ADMIT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local running, rate = KEYS[1], KEYS[2]
local turn, lease, maxRunning, perMinute = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', running, '-inf', now)
if redis.call('ZSCORE', running, turn) then return {1} end
local pausedMs = redis.call('PTTL', KEYS[4])
if pausedMs ~= -2 then return {0, 'paused', math.max(1, math.ceil(pausedMs / 1000)), 0} end
local limit = redis.call('GET', KEYS[5])
if limit and tonumber(redis.call('HGET', KEYS[6], 'spent') or '0') >= tonumber(limit) then
  return {0, 'budget', math.max(1, math.ceil((86400000 - now % 86400000) / 1000)), 0}
end
local factor = tonumber(redis.call('HGET', KEYS[3], 'factor') or '1')
local throttled = 0
if factor < 1 then
  throttled = 1
  maxRunning = math.max(1, math.floor(maxRunning * factor))
  perMinute = math.max(1, math.floor(perMinute * factor))
end
if redis.call('ZCARD', running) >= maxRunning then return {0, 'concurrency', 1, throttled} end
local minute = tostring(math.floor(now / 60000))
local used = tonumber(redis.call('HGET', rate, minute) or '0')
if used >= perMinute then
  return {0, 'rate', math.max(1, math.ceil((60000 - now % 60000) / 1000)), throttled}
end
if used == 0 then redis.call('DEL', rate) end
redis.call('HINCRBY', rate, minute, 1)
redis.call('PEXPIRE', rate, 120000)
redis.call('ZADD', running, now + lease, turn)
redis.call('PEXPIRE', running, lease)
return {1, tostring(factor)}
`);

export class Admission {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  async admit(appId: string, turnId: string, limits: AppLimits): Promise<AdmissionResult> {
    const budget = budgetScopes.appMonth(appId, new Date());
    const reply = (await ADMIT.run(
      this.redis,
      [...keys(appId), opsControlKeys.throttle(appId), opsControlKeys.pause(appId), budget.limitKey, budget.usageKey],
      [turnId, this.leaseMs, limits.max_concurrent_turns, limits.turns_per_minute],
    )) as [number, (string | number)?, number?, number?];
    if (reply[0] === 1) {
      const factor = Number(reply[1] ?? 1);
      return factor < 1 ? { admitted: true, throttleFactor: factor } : { admitted: true };
    }
    const reason = REASONS.find((known) => known === reply[1]) ?? 'concurrency';
    return { admitted: false, reason, retryAfterSeconds: Number(reply[2] ?? 1), ...(reply[3] === 1 ? { throttled: true } : {}) };
  }

  /** Frees the turn's slot (idempotent: releasing twice, or a slot never taken, is a no-op). */
  async release(appId: string, turnId: string): Promise<void> {
    await this.redis.zrem(keys(appId)[0], turnId);
  }

  /** Turns holding a slot now (expired leases not counted). */
  async running(appId: string): Promise<number> {
    const now = Date.now();
    return this.redis.zcount(keys(appId)[0], now, '+inf');
  }
}

const REASONS = ['concurrency', 'rate', 'paused', 'budget'] as const;

function keys(appId: string): [string, string] {
  if (!appId) throw new Error('admission needs an app_id');
  return [`admission:${appId}:running`, `admission:${appId}:rate`];
}
