import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { BurstPublisher, ChatEvents, STREAM_TTL_SECONDS, type ChatEvent } from '../../src/stores/chat-events';
import { openRedis } from '../../src/stores/redis';
import { services, uniqueName } from '../support/services';

let redis: Redis;
let events: ChatEvents;
const prefix = `${uniqueName('events')}:`;
const ref = { appId: 'acme', chatId: 'c1' };

beforeAll(() => {
  redis = openRedis(services().redisUrl, { keyPrefix: prefix });
  events = new ChatEvents(redis);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
  await redis.quit();
});

it('publishes events and reads them back in order, resuming after an id', async () => {
  const first = await events.publish(ref, { type: 'turn.started', turn_id: 't1', data: { content: 'hi' } });
  await events.publish(ref, { type: 'message.delta', turn_id: 't1', data: { step: 0, delta: 'Hel' } });
  await events.publish(ref, { type: 'message.delta', turn_id: 't1', data: { step: 0, delta: 'lo' } });
  await events.publish(ref, { type: 'session.closed', data: { reason: 'requested' } });

  const all = await events.read(ref);
  expect(all.map((e) => e.type)).toEqual(['turn.started', 'message.delta', 'message.delta', 'session.closed']);
  expect(all[0]).toEqual({ id: first, type: 'turn.started', turn_id: 't1', data: { content: 'hi' } });
  expect(all[3]).not.toHaveProperty('turn_id');

  const after = await events.read(ref, { after: first, count: 2 });
  expect(after.map((e) => e.data)).toEqual([{ step: 0, delta: 'Hel' }, { step: 0, delta: 'lo' }]);

  const ttl = await redis.ttl(ChatEvents.streamKey(ref));
  expect(ttl).toBeGreaterThan(STREAM_TTL_SECONDS - 60);
  expect(await events.read({ appId: 'globex', chatId: 'c1' })).toEqual([]);
});

it('a burst publisher sends the first event at once and what arrives meanwhile in one round trip, in order', async () => {
  const burst = { appId: 'acme', chatId: 'burst' };
  const batches: number[] = [];
  const publisher = new BurstPublisher(async (sent) => {
    batches.push(sent.length);
    await events.publishMany(burst, sent);
  });
  for (let i = 0; i < 50; i++) publisher.push({ type: 'message.delta', turn_id: 't1', data: { step: 0, delta: `d${i}` } });
  await publisher.flushed();
  expect(batches).toEqual([1, 49]);
  const stored = await events.read(burst);
  expect(stored.map((e) => e.data)).toEqual(Array.from({ length: 50 }, (_, i) => ({ step: 0, delta: `d${i}` })));
  expect(new Set(stored.map((e) => e.id)).size).toBe(50);
  expect(await redis.ttl(ChatEvents.streamKey(burst))).toBeGreaterThan(STREAM_TTL_SECONDS - 60);

  // Slower than Redis answers: one event per round trip.
  const paced = events.burst(burst);
  for (let i = 0; i < 3; i++) {
    paced.push({ type: 'message.delta', turn_id: 't2', data: { step: 0, delta: `p${i}` } });
    await paced.flushed();
  }
  expect((await events.read(burst)).filter((e) => e.turn_id === 't2')).toHaveLength(3);
});

it("a chat's burst joins a batch's consecutive deltas of one step into one entry: the same text, in order, other events kept", async () => {
  const joined = { appId: 'acme', chatId: 'joined' };
  const burst = events.burst(joined);
  burst.push({ type: 'message.delta', turn_id: 't1', data: { step: 0, delta: 'first ' } }); // goes alone
  for (let i = 0; i < 20; i++) burst.push({ type: 'message.delta', turn_id: 't1', data: { step: 0, delta: `a${i} ` } });
  burst.push({ type: 'tool.called', turn_id: 't1', data: { step: 0, name: 'calculator' } });
  for (let i = 0; i < 5; i++) burst.push({ type: 'message.delta', turn_id: 't1', data: { step: 1, delta: `b${i} ` } });
  burst.push({ type: 'message.delta', turn_id: 't2', data: { step: 1, delta: 'other turn' } });
  await burst.flushed();
  const stored = await events.read(joined);
  expect(stored.map((e) => [e.type, e.turn_id, e.data])).toEqual([
    ['message.delta', 't1', { step: 0, delta: 'first ' }],
    ['message.delta', 't1', { step: 0, delta: Array.from({ length: 20 }, (_, i) => `a${i} `).join('') }],
    ['tool.called', 't1', { step: 0, name: 'calculator' }],
    ['message.delta', 't1', { step: 1, delta: Array.from({ length: 5 }, (_, i) => `b${i} `).join('') }],
    ['message.delta', 't2', { step: 1, delta: 'other turn' }],
  ]);
});

it('a burst publisher reports a failed write', async () => {
  const broken = { appId: 'acme', chatId: 'not-a-stream' };
  await redis.set(ChatEvents.streamKey(broken), 'a string, not a stream');
  const publisher = events.burst(broken);
  const delta: ChatEvent = { type: 'message.delta', turn_id: 't1', data: { step: 0, delta: 'x' } };
  publisher.push(delta);
  publisher.push(delta);
  await expect(publisher.flushed()).rejects.toThrow(/WRONGTYPE/);
});

it('publishOnce publishes at most once per dedup key', async () => {
  const other = { appId: 'acme', chatId: 'c2' };
  const first = await events.publishOnce(other, 'turn.started:t1', { type: 'turn.started', turn_id: 't1', data: {} });
  const again = await events.publishOnce(other, 'turn.started:t1', { type: 'turn.started', turn_id: 't1', data: {} });
  expect(first.published).toBe(true);
  expect(again).toEqual({ id: first.id, published: false });
  const racing = await Promise.all(
    Array.from({ length: 10 }, () => events.publishOnce(other, 'done:t1', { type: 'turn.completed', turn_id: 't1', data: {} })),
  );
  expect(racing.filter((r) => r.published)).toHaveLength(1);
  expect((await events.read(other)).map((e) => e.type)).toEqual(['turn.started', 'turn.completed']);
});

it('a blocking read waits for the next event', async () => {
  const live = { appId: 'acme', chatId: 'c3' };
  const last = await events.publish(live, { type: 'turn.started', turn_id: 't1', data: {} });
  const waiting = events.read(live, { after: last, blockMs: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await events.publish(live, { type: 'turn.completed', turn_id: 't1', data: { ok: true } });
  expect((await waiting).map((e) => e.type)).toEqual(['turn.completed']);
  expect(await events.read(live, { after: (await events.read(live)).at(-1)?.id, blockMs: 50 })).toEqual([]);
});

it('caps the stream near its maximum length', async () => {
  const busy = { appId: 'acme', chatId: 'busy' };
  const pipeline = Array.from({ length: 2600 }, (_, i) => events.publish(busy, { type: 'message.delta', data: { i } }));
  await Promise.all(pipeline);
  const length = await redis.xlen(ChatEvents.streamKey(busy));
  expect(length).toBeLessThan(2600);
  expect(length).toBeGreaterThanOrEqual(2000);
});
