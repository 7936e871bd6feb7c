import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { openRedis } from '../../src/stores/redis';
import { services, uniqueName } from '../support/services';

let redis: Redis;
const prefix = `${uniqueName('redis')}:`;

beforeAll(() => {
  redis = openRedis(services().redisUrl, { keyPrefix: prefix });
});

afterAll(async () => {
  // KEYS is not prefixed by ioredis: ask for this file's keys explicitly.
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
  await redis.quit();
});

it('round-trips a value under the key prefix', async () => {
  await redis.set('k', 'v');
  expect(await redis.get('k')).toBe('v');
  const raw = openRedis(services().redisUrl, { keyPrefix: '' });
  expect(await raw.get(`${prefix}k`)).toBe('v');
  await raw.quit();
});

it('appends to and reads back a capped stream', async () => {
  const first = await redis.xadd('stream', 'MAXLEN', '~', '100', '*', 'type', 'a');
  await redis.xadd('stream', 'MAXLEN', '~', '100', '*', 'type', 'b');
  const after = await redis.xrange('stream', `(${first}`, '+');
  expect(after.map(([, fields]) => fields)).toEqual([['type', 'b']]);
});
