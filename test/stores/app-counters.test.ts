import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AppCounters } from '../../src/stores/app-counters';
import { openRedis } from '../../src/stores/redis';
import { services, uniqueName } from '../support/services';

let redis: Redis;
let counters: AppCounters;
const prefix = `${uniqueName('counters')}:`;
const at = new Date();
const minute = 60_000;

beforeAll(() => {
  redis = openRedis(services().redisUrl, { keyPrefix: prefix });
  counters = new AppCounters(redis);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
  await redis.quit();
});

it('applies an increment at most once per dedup id, even when raced', async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, () =>
      counters.increment('acme', { turns: 1, input_tokens: 100, cost_nanos: 5_000_000_000, active_runs: 1 }, { dedupId: 'turn:t1', at }),
    ),
  );
  expect(results.filter(Boolean)).toHaveLength(1);
  await counters.increment('acme', { turns: 1, active_runs: 1 }, { dedupId: 'turn:t2', at: new Date(at.getTime() - 5 * minute) });
  const totals = await counters.read('acme', { from: new Date(at.getTime() - 10 * minute), to: new Date(at.getTime() + minute) });
  expect(totals).toMatchObject({ turns: 2, input_tokens: 100, cost_nanos: 5_000_000_000, errors: 0 });
  expect(await counters.activeRuns('acme')).toBe(2);
});

it('reads only the buckets in range, and only the app asked for', async () => {
  const recent = await counters.read('acme', { from: new Date(at.getTime() - minute), to: new Date(at.getTime() + minute) });
  expect(recent.turns).toBe(1);
  expect((await counters.read('globex', { from: new Date(at.getTime() - 10 * minute), to: at })).turns).toBe(0);
});

it('keeps the active-runs gauge per app and never below zero', async () => {
  await counters.increment('globex', { active_runs: 1 }, { dedupId: 'start:g1', at });
  await counters.increment('globex', { active_runs: -1, errors: 1 }, { dedupId: 'end:g1', at });
  await counters.increment('globex', { active_runs: -1 }, { dedupId: 'end:g1', at });
  await counters.increment('globex', { active_runs: -1 }, { dedupId: 'end:lost', at });
  expect(await counters.activeRuns('globex')).toBe(0);
  expect(await counters.activeRuns()).toEqual({ acme: 2, globex: 0 });
  const bucket = await redis.keys(`${prefix}counters:globex:*`);
  expect(bucket).toHaveLength(1);
  expect(await redis.ttl((bucket[0] ?? '').slice(prefix.length))).toBeGreaterThan(47 * 3600);
});

it('refuses fractional deltas', async () => {
  await expect(counters.increment('acme', { cost_nanos: 1.5 }, { dedupId: 'frac', at })).rejects.toThrow(/integer/);
});
