/**
 * LLM budgets that cannot overshoot, across any number of replicas. Before a call, its largest
 * possible cost is *reserved* against every budget it counts toward (the app's month, a pack run)
 * by one Lua script: it refuses when spent + held + this call would pass a limit, otherwise holds
 * the amount. After the call the hold is *settled* to the real cost (once per reservation id, so a
 * retried activity never charges twice). A hold whose settler died expires with its lease.
 *
 * Per scope: a limit key (absent = no limit, spend still tracked), a usage hash (`spent`) and a
 * holds hash (reservation id → "amount:expiry ms").
 */
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script';

export interface BudgetScope {
  name: string;
  limitKey: string;
  usageKey: string;
  holdsKey: string;
}

export type Reservation = { ok: true } | { ok: false; scope: string; limitNanos: number; spentNanos: number; heldNanos: number };

const USAGE_TTL_SECONDS = 62 * 86_400;
const DEFAULT_HOLD_MS = 10 * 60_000;

// KEYS: per scope limit, usage, holds. ARGV: id, amount, lease ms, usage ttl s.
const RESERVE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id, amount, lease, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local scopes = #KEYS / 3
for i = 0, scopes - 1 do
  if redis.call('HEXISTS', KEYS[i * 3 + 3], id) == 1 then return {1} end
end
for i = 0, scopes - 1 do
  local limit = tonumber(redis.call('GET', KEYS[i * 3 + 1]) or '-1')
  if limit >= 0 then
    local holds = KEYS[i * 3 + 3]
    local held = 0
    local all = redis.call('HGETALL', holds)
    for j = 1, #all, 2 do
      local sep = string.find(all[j + 1], ':')
      local value, expiry = tonumber(string.sub(all[j + 1], 1, sep - 1)), tonumber(string.sub(all[j + 1], sep + 1))
      if expiry <= now then redis.call('HDEL', holds, all[j]) else held = held + value end
    end
    local spent = tonumber(redis.call('HGET', KEYS[i * 3 + 2], 'spent') or '0')
    if spent + held + amount > limit then return {0, i, limit, spent, held} end
  end
end
for i = 0, scopes - 1 do
  redis.call('HSET', KEYS[i * 3 + 3], id, amount .. ':' .. (now + lease))
  redis.call('EXPIRE', KEYS[i * 3 + 3], ttl)
end
return {1}
`);

// KEYS: settled marker, then per scope usage, holds. ARGV: id, actual, usage ttl s.
const SETTLE = new RedisScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then return 0 end
for i = 2, #KEYS, 2 do
  redis.call('HDEL', KEYS[i + 1], ARGV[1])
  redis.call('HINCRBY', KEYS[i], 'spent', ARGV[2])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
return 1
`);

export const budgetScopes = {
  /** The app's calendar month (UTC) of `at`. */
  appMonth(appId: string, at: Date): BudgetScope {
    if (!appId) throw new Error('a budget needs an app_id');
    const month = at.toISOString().slice(0, 7);
    return { name: `app:${appId}`, limitKey: `budget-limit:app:${appId}`, usageKey: `budget:app:${appId}:${month}`, holdsKey: `budget-holds:app:${appId}:${month}` };
  },
  packRun(appId: string, runId: string): BudgetScope {
    if (!appId) throw new Error('a budget needs an app_id');
    const id = `pack:${appId}:${runId}`;
    return { name: id, limitKey: `budget-limit:${id}`, usageKey: `budget:${id}`, holdsKey: `budget-holds:${id}` };
  },
};

export class Budgets {
  constructor(
    private readonly redis: Redis,
    private readonly holdMs = DEFAULT_HOLD_MS,
  ) {}

  /** Sets (or with null removes) a scope's limit in nano-dollars. */
  async setLimit(scope: BudgetScope, limitNanos: number | null): Promise<void> {
    if (limitNanos === null) await this.redis.del(scope.limitKey);
    else await this.redis.set(scope.limitKey, String(Math.max(0, Math.round(limitNanos))));
  }

  async reserve(scopes: readonly BudgetScope[], reservationId: string, amountNanos: number): Promise<Reservation> {
    const reply = (await RESERVE.run(this.redis, scopes.flatMap(keysOf), [
      reservationId,
      Math.max(0, Math.ceil(amountNanos)),
      this.holdMs,
      USAGE_TTL_SECONDS,
    ])) as number[];
    if (reply[0] === 1) return { ok: true };
    const [, index = 0, limit = 0, spent = 0, held = 0] = reply;
    return { ok: false, scope: scopes[index]?.name ?? '', limitNanos: limit, spentNanos: spent, heldNanos: held };
  }

  /** Charges the real cost and lets the hold go; false when this reservation was already settled. */
  async settle(scopes: readonly BudgetScope[], reservationId: string, actualNanos: number): Promise<boolean> {
    const keys = [`budget-settled:${reservationId}`, ...scopes.flatMap((scope) => [scope.usageKey, scope.holdsKey])];
    return (await SETTLE.run(this.redis, keys, [reservationId, Math.max(0, Math.round(actualNanos)), USAGE_TTL_SECONDS])) === 1;
  }

  async status(scope: BudgetScope): Promise<{ limitNanos: number | null; spentNanos: number }> {
    const [limit, spent] = await Promise.all([this.redis.get(scope.limitKey), this.redis.hget(scope.usageKey, 'spent')]);
    return { limitNanos: limit === null ? null : Number(limit), spentNanos: Number(spent ?? 0) };
  }
}

function keysOf(scope: BudgetScope): string[] {
  return [scope.limitKey, scope.usageKey, scope.holdsKey];
}
