import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApi } from '../../src/api/server';
import type { DependencyProbe } from '../../src/api/health';
import { openRedis } from '../../src/stores/redis';
import { freePort } from '../../src/dev/child-service';
import { services } from '../support/services';

let redisUp: Redis;
let redisDown: Redis;
let api: FastifyInstance;
let silent: net.Server;

const redisProbe = (name: string, redis: Redis): DependencyProbe => ({
  name,
  check: async () => {
    await redis.ping();
  },
});

beforeAll(async () => {
  redisUp = openRedis(services().redisUrl);
  // A port that accepts connections and never answers: the probe must time out, not hang.
  const port = await freePort();
  silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  redisDown = openRedis(`redis://127.0.0.1:${port}`);
  redisDown.on('error', () => {});
});

afterAll(async () => {
  await api?.close();
  redisUp.disconnect();
  redisDown.disconnect();
  silent.close();
});

it('answers 200 when every dependency is up', async () => {
  api = await buildApi({ logLevel: 'silent', probes: [redisProbe('redis', redisUp)] });
  const response = await api.inject({ method: 'GET', url: '/api/health' });
  expect(response.statusCode).toBe(200);
  expect(response.json()).toMatchObject({ status: 'ok', dependencies: { redis: { status: 'up' } } });
  await api.close();
});

it('answers 503 naming the dependency that is down', async () => {
  api = await buildApi({ logLevel: 'silent', probes: [redisProbe('redis', redisUp), redisProbe('mongodb', redisDown)] });
  const response = await api.inject({ method: 'GET', url: '/api/health' });
  expect(response.statusCode).toBe(503);
  const body = response.json();
  expect(body.down).toEqual(['mongodb']);
  expect(body.dependencies.mongodb).toMatchObject({ status: 'down', error: expect.any(String) });
  expect(body.dependencies.redis.status).toBe('up');
});
