/**
 * Per-app counters in Redis, shared by every API and worker replica: one hash per app and minute
 * (`counters:{app_id}:{minute}`, kept 48 h) plus an `active_runs` gauge per app. Each increment
 * carries a dedup id and is applied at most once, so a retried activity never counts twice.
 */
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script';

export const COUNTER_FIELDS = [
  'turns',
  'errors',
  'input_tokens',
  'output_tokens',
  'cost_nanos',
  'llm_calls',
  'unpriced_calls',
] as const;

export type CounterField = (typeof COUNTER_FIELDS)[number];
export type CounterTotals = Record<CounterField, number>;
export type CounterDeltas = Partial<Record<CounterField | 'active_runs', number>>;

const BUCKET_MS = 60_000;
export const COUNTER_TTL_SECONDS = 48 * 60 * 60;
const ACTIVE_RUNS_KEY = 'active_runs';

// KEYS: dedup marker, bucket hash, active-runs hash. ARGV: ttl, app id, then field/delta pairs.
// The gauge never goes below zero: a decrement whose increment was lost must not leave it negative.
const INCREMENT = new RedisScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local touched = false
for i = 3, #ARGV, 2 do
  local field, delta = ARGV[i], tonumber(ARGV[i + 1])
  if field == 'active_runs' then
    if redis.call('HINCRBY', KEYS[3], ARGV[2], delta) < 0 then redis.call('HSET', KEYS[3], ARGV[2], 0) end
  else
    redis.call('HINCRBY', KEYS[2], field, delta)
    touched = true
  end
end
if touched then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return 1
`);

export function zeroCounters(): CounterTotals {
  return { turns: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_nanos: 0, llm_calls: 0, unpriced_calls: 0 };
}

export class AppCounters {
  constructor(private readonly redis: Redis) {}

  /** Applies the deltas once per `dedupId` (per app); returns false when they were already applied. */
  async increment(appId: string, deltas: CounterDeltas, opts: { dedupId: string; at: Date }): Promise<boolean> {
    requireAppId(appId);
    const pairs: (string | number)[] = [];
    for (const [field, delta] of Object.entries(deltas)) {
      if (delta === undefined || delta === 0) continue;
      if (!Number.isSafeInteger(delta)) throw new Error(`counter ${field}: delta must be an integer, got ${delta}`);
      pairs.push(field, delta);
    }
    const keys = [`counters-once:${appId}:${opts.dedupId}`, bucketKey(appId, bucketStart(opts.at)), ACTIVE_RUNS_KEY];
    return (await INCREMENT.run(this.redis, keys, [COUNTER_TTL_SECONDS, appId, ...pairs])) === 1;
  }

  /** Sums the minute buckets that start in [floor(from), to). At most the 48 h before `to` are read:
   * older buckets have expired anyway. */
  async read(appId: string, range: { from: Date; to: Date }): Promise<CounterTotals> {
    requireAppId(appId);
    const totals = zeroCounters();
    const oldest = range.to.getTime() - COUNTER_TTL_SECONDS * 1000;
    const first = bucketStart(new Date(Math.max(range.from.getTime(), oldest)));
    const pipeline = this.redis.pipeline();
    let buckets = 0;
    for (let start = first; start < range.to.getTime(); start += BUCKET_MS) {
      pipeline.hgetall(bucketKey(appId, start));
      buckets++;
    }
    if (buckets === 0) return totals;
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      for (const field of COUNTER_FIELDS) totals[field] += Number((hash as Record<string, string>)[field] ?? 0);
    }
    return totals;
  }

  /** Runs in progress for one app, or for every app that has had any. */
  async activeRuns(): Promise<Record<string, number>>;
  async activeRuns(appId: string): Promise<number>;
  async activeRuns(appId?: string): Promise<number | Record<string, number>> {
    if (appId !== undefined) return Number((await this.redis.hget(ACTIVE_RUNS_KEY, appId)) ?? 0);
    const all = await this.redis.hgetall(ACTIVE_RUNS_KEY);
    return Object.fromEntries(Object.entries(all).map(([app, value]) => [app, Number(value)]));
  }
}

function bucketStart(at: Date): number {
  return Math.floor(at.getTime() / BUCKET_MS) * BUCKET_MS;
}

function bucketKey(appId: string, start: number): string {
  return `counters:${appId}:${start / BUCKET_MS}`;
}

function requireAppId(appId: string): void {
  if (!appId) throw new Error('app counters need an app_id');
}
