/**
 * Live chat events over real SSE and WebSocket connections to a listening API, with real turns on a
 * Temporal dev server (the offline model paced per token, so turns stream for a while) and events
 * published straight into the chat's Redis Stream where a test needs a shape no turn makes (a
 * backlog past the cap, big events). Clients are `fetch` + `eventsource-parser` and `ws`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installErrorHandler } from '../../src/api/errors';
import { streamRoutes } from '../../src/api/routes/streams';
import { createParser } from 'eventsource-parser';
import { startOfflineModel } from '../../src/dev/offline-model';
import { ChatEvents, compareEntryIds, previousEntryId, STREAM_MAX_LEN } from '../../src/stores/chat-events';
import { TOKEN_EXPIRED_MESSAGE } from '../../src/api/streams/expiry';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { openSse, openWs, wsRefusal, type Frame } from '../support/stream-clients';

let stack: ApiStack;
let model: Awaited<ReturnType<typeof startOfflineModel>>;
let appKey: string;
let otherAppKey: string;
let events: ChatEvents;

beforeAll(async () => {
  // Paced tokens: a turn streams long enough for a client to drop and come back mid-answer.
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 15 });
  stack = await startApiStack({ label: 'streams', llmBaseUrl: model.url });
  appKey = await stack.createApp('acme');
  otherAppKey = await stack.createApp('globex');
  events = new ChatEvents(stack.kit.redis);
});

afterAll(async () => {
  await stack?.close();
  await model?.close();
});

async function openSession(userId: string, key = appKey): Promise<{ chat_id: string; runtime_token: string; sse_url: string; ws_url: string }> {
  const response = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: userId } });
  expect(response.status).toBe(200);
  return (await response.json()) as { chat_id: string; runtime_token: string; sse_url: string; ws_url: string };
}

const withToken = (url: string, token: string, extra = '') => `${url}?access_token=${encodeURIComponent(token)}${extra}`;

/** The frames a client handled before it dropped: everything up to and including the first delta. */
const handledUpToFirstDelta = (frames: readonly Frame[]): Frame[] => frames.slice(0, frames.findIndex((frame) => frame.type === 'message.delta') + 1);

/** Redis connections the API holds for live streams of one chat (named per chat). */
async function streamConnections(appId: string, chatId: string): Promise<number> {
  const list = (await stack.kit.redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=tessera-stream:${appId}:${chatId} `)).length;
}

async function connectionsSettleAt(appId: string, chatId: string, expected: number): Promise<void> {
  await vi.waitFor(async () => expect(await streamConnections(appId, chatId)).toBe(expected), { timeout: 20_000, interval: 50 });
}

async function sendMessage(chatId: string, content: string, wait: boolean): Promise<{ turn_id: string; message?: { content: string } }> {
  const response = await stack.call('POST', `/v1/chats/${chatId}/messages${wait ? '' : '?wait=false'}`, { key: appKey, body: { content } });
  expect(response.status).toBe(wait ? 200 : 202);
  return (await response.json()) as { turn_id: string; message?: { content: string } };
}

const deltasOf = (frames: Frame[], turnId: string) =>
  frames
    .filter((frame) => frame.type === 'message.delta' && frame.turn_id === turnId)
    .map((frame) => String(frame.data.delta))
    .join('');

/** Every id in the chat's stream, oldest first. */
async function storedIds(chatId: string): Promise<string[]> {
  return (await events.read({ appId: 'acme', chatId }, { count: 10_000 })).map((event) => event.id);
}

function expectStrictlyIncreasing(ids: string[]): void {
  ids.slice(1).forEach((id, index) => expect(compareEntryIds(ids[index] as string, id)).toBe(-1));
}

describe('a real turn', () => {
  it('reaches SSE and WebSocket clients, and the deltas add up to the reply', async () => {
    const session = await openSession('user-1');
    const sse = await openSse(withToken(session.sse_url, session.runtime_token));
    const ws = await openWs(withToken(session.ws_url, session.runtime_token));
    await connectionsSettleAt('acme', session.chat_id, 2);

    const turn = await sendMessage(session.chat_id, 'Tell me about streams', true);
    const reply = turn.message?.content ?? '';
    expect(reply).toMatch(/^Offline reply to: Tell me about streams/);
    for (const client of [sse, ws]) {
      await client.untilEvent('turn.completed', turn.turn_id);
      const types = client.frames.map((frame) => frame.type);
      expect(types[0]).toBe('turn.started');
      expect(types.at(-1)).toBe('turn.completed');
      expect(types).toContain('message.completed');
      expect(deltasOf(client.frames, turn.turn_id)).toBe(reply);
      expect(client.frames.find((frame) => frame.type === 'message.completed')?.data.content).toBe(reply);
      expect(client.frames.every((frame) => frame.turn_id === turn.turn_id)).toBe(true);
      expect(client.ids).toEqual(await storedIds(session.chat_id));
    }
    expect(ws.frames).toEqual(sse.frames);

    sse.close();
    ws.close();
    await connectionsSettleAt('acme', session.chat_id, 0);
  });

  it('a client that drops mid-turn and resumes from its last id sees every event once, with no gap', async () => {
    const session = await openSession('user-2');
    const turn = await sendMessage(session.chat_id, 'Please answer at some length about resuming streams', false);

    // SSE: drop after the first delta, come back with Last-Event-ID (as EventSource does). The
    // client has handled the frames up to that delta (frames that arrived with it are dropped
    // unhandled): how many deltas a turn has depends on how they were batched, not on the test.
    const first = await openSse(withToken(session.sse_url, session.runtime_token));
    await first.until((received) => received.frames.some((frame) => frame.type === 'message.delta'));
    first.close();
    const seen = handledUpToFirstDelta(first.frames);
    const second = await openSse(withToken(session.sse_url, session.runtime_token), { 'last-event-id': seen.at(-1)?.id as string });
    await second.untilEvent('turn.completed', turn.turn_id);
    second.close();

    // WebSocket: the same with ?after= (from the stream's backlog: the turn is over by now).
    const wsFirst = await openWs(withToken(session.ws_url, session.runtime_token));
    await wsFirst.until((received) => received.frames.some((frame) => frame.type === 'message.delta'));
    wsFirst.close();
    const wsSeen = handledUpToFirstDelta(wsFirst.frames);
    const wsSecond = await openWs(withToken(session.ws_url, session.runtime_token, `&after=${wsSeen.at(-1)?.id as string}`));
    await wsSecond.untilEvent('turn.completed', turn.turn_id);
    wsSecond.close();

    const stored = await storedIds(session.chat_id);
    for (const [before, after] of [[seen, second.frames], [wsSeen, wsSecond.frames]] as const) {
      const ids = [...before, ...after].map((frame) => frame.id as string);
      expectStrictlyIncreasing(ids);
      expect(ids).toEqual(stored);
      const reply = [...before, ...after].find((frame) => frame.type === 'message.completed')?.data.content;
      expect(deltasOf([...before, ...after], turn.turn_id)).toBe(reply);
    }
    await connectionsSettleAt('acme', session.chat_id, 0);
  });
});

describe('a stream past its cap', () => {
  it('says where to resume from, then continues from the oldest event left', async () => {
    const session = await openSession('user-3');
    const ref = { appId: 'acme', chatId: session.chat_id };
    const published = await Promise.all(
      Array.from({ length: STREAM_MAX_LEN + 600 }, (_, i) => events.publish(ref, { type: 'message.delta', turn_id: 't1', data: { step: 0, delta: `${i} ` } })),
    );
    const stored = await storedIds(session.chat_id);
    expect(stored.length).toBeLessThan(published.length);
    const oldest = stored[0] as string;
    const newest = published.at(-1) as string;

    // Resuming after an event that has been trimmed away.
    const behind = await openSse(withToken(session.sse_url, session.runtime_token, `&after=${published[0] as string}`));
    await behind.until((received) => received.ids.includes(newest));
    behind.close();
    const [notice, ...rest] = behind.frames;
    expect(notice).toEqual({
      id: previousEntryId(oldest),
      type: 'stream.truncated',
      data: {
        missed_after: published[0],
        first_available_id: oldest,
        resume_from: 'transcript',
        transcript_url: `${stack.url}/v1/chats/${session.chat_id}/messages`,
      },
    });
    expect(rest.map((frame) => frame.id)).toEqual(stored);

    // Resuming from the notice's id is not told again; from the start (nothing seen yet) is.
    const again = await openWs(withToken(session.ws_url, session.runtime_token, `&after=${notice?.id as string}`));
    await again.until((received) => received.ids.includes(newest));
    again.close();
    expect(again.frames.map((frame) => frame.id)).toEqual(stored);
    const fresh = await openWs(withToken(session.ws_url, session.runtime_token));
    await fresh.until((received) => received.ids.includes(newest));
    fresh.close();
    expect(fresh.frames[0]?.type).toBe('stream.truncated');
    expect(fresh.frames.slice(1).map((frame) => frame.id)).toEqual(stored);

    // A client still inside the stream is not told anything.
    const inside = await openSse(withToken(session.sse_url, session.runtime_token), { 'last-event-id': stored[10] as string });
    await inside.until((received) => received.ids.includes(newest));
    inside.close();
    expect(inside.frames.map((frame) => frame.id)).toEqual(stored.slice(11));
    await connectionsSettleAt('acme', session.chat_id, 0);
  });

  it('tells a client whose stream expired that its events are gone', async () => {
    const session = await openSession('user-4');
    const client = await openSse(withToken(session.sse_url, session.runtime_token, '&after=1700000000000-0'));
    await client.untilEvent('stream.truncated');
    expect(client.frames[0]).toMatchObject({ id: null, data: { first_available_id: null, missed_after: '1700000000000-0' } });
    // Then it follows the stream as it starts again.
    const id = await events.publish({ appId: 'acme', chatId: session.chat_id }, { type: 'session.closed', data: { reason: 'test' } });
    await client.untilEvent('session.closed');
    expect(client.frames.map((frame) => frame.type)).toEqual(['stream.truncated', 'session.closed']);
    expect(client.ids).toEqual([id]);
    client.close();
  });
});

describe('who may stream', () => {
  it('answers 401, 404 and 400 before streaming anything', async () => {
    const session = await openSession('user-5');
    const other = await openSession('user-6');
    const foreign = await openSession('user-7', otherAppKey);
    const path = `/v1/chats/${session.chat_id}/events`;
    const wsUrl = (query: string) => `${stack.url.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws?${query}`;

    expect((await openSse(`${stack.url}${path}`)).status).toBe(401);
    // Another app's key, and a runtime token of another chat: not found (the chat's existence does not leak).
    expect((await openSse(`${stack.url}${path}`, { authorization: `Bearer ${otherAppKey}` })).status).toBe(404);
    expect((await openSse(withToken(session.sse_url, other.runtime_token))).status).toBe(404);
    expect((await openSse(withToken(session.sse_url, foreign.runtime_token))).status).toBe(404);
    expect((await openSse(withToken(`${stack.url}/v1/chats/no-such-chat/events`, appKey))).status).toBe(404);
    expect(await wsRefusal(wsUrl(`access_token=${encodeURIComponent(other.runtime_token)}`))).toBe(404);
    expect(await wsRefusal(wsUrl(`access_token=${encodeURIComponent(otherAppKey)}`))).toBe(404);
    expect(await wsRefusal(wsUrl(''))).toBe(401);

    // Bad positions are bad input, not a Redis error.
    for (const after of ['abc', '1-2-3', '99999999999999999999-0', '-1-0']) {
      expect((await openSse(withToken(session.sse_url, appKey, `&after=${after}`))).status).toBe(400);
      expect(await wsRefusal(wsUrl(`access_token=${appKey}&after=${after}`))).toBe(400);
    }
    expect((await openSse(withToken(session.sse_url, appKey), { 'last-event-id': 'x' })).status).toBe(400);
    expect((await openSse(withToken(session.sse_url, appKey, '&from=start'))).status).toBe(400);

    // The app's own key and the chat's own token are let in.
    const own = await openSse(`${stack.url}${path}`, { authorization: `Bearer ${appKey}` });
    expect(own.status).toBe(200);
    own.close();
    await connectionsSettleAt('acme', session.chat_id, 0);
  });
});

describe('a runtime token that expires', () => {
  it('ends SSE and WebSocket streams it opened, with a notice saying why', async () => {
    const session = await openSession('expiring');
    const { token } = await stack.runtime.runtimeTokens.issue({ appId: 'acme', userId: 'expiring', chatId: session.chat_id }, 2);
    const sse = await openSse(`${stack.url}/v1/chats/${session.chat_id}/events?access_token=${token}`);
    const ws = await openWs(`${stack.url.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws?access_token=${token}`);
    await Promise.all([sse.until((client) => client.ended), ws.until((client) => client.ended)]);
    for (const client of [sse, ws]) {
      expect(client.frames.at(-1)).toMatchObject({ type: 'stream.error', data: { message: TOKEN_EXPIRED_MESSAGE } });
    }
    expect(ws.closeCode).toBe(1008);
    // An app key's stream does not expire that way: it is still open after the token's streams ended.
    const backend = await openSse(`${stack.url}/v1/chats/${session.chat_id}/events`, { authorization: `Bearer ${appKey}` });
    expect(backend.status).toBe(200);
    expect(backend.ended).toBe(false);
    backend.close();
  });
});

describe('connections', () => {
  it('closing clients, idle or mid-backlog, releases their Redis connections', async () => {
    const session = await openSession('user-8');
    const clients = await Promise.all([
      ...Array.from({ length: 3 }, () => openSse(withToken(session.sse_url, session.runtime_token))),
      ...Array.from({ length: 3 }, () => openWs(withToken(session.ws_url, session.runtime_token))),
    ]);
    await connectionsSettleAt('acme', session.chat_id, 6);
    for (const client of clients) client.close();
    await connectionsSettleAt('acme', session.chat_id, 0);

    const ref = { appId: 'acme', chatId: session.chat_id };
    await Promise.all(Array.from({ length: 1500 }, (_, i) => events.publish(ref, { type: 'message.delta', turn_id: 't1', data: { delta: 'x'.repeat(1000 + i) } })));
    const reading = await Promise.all([openSse(withToken(session.sse_url, session.runtime_token)), openWs(withToken(session.ws_url, session.runtime_token))]);
    await Promise.all(reading.map((client) => client.until((received) => received.frames.length > 0)));
    for (const client of reading) client.close();
    await connectionsSettleAt('acme', session.chat_id, 0);
  });

  describe('on a server with short heartbeat and stall limits', () => {
    let server: FastifyInstance;
    let base: string;

    beforeAll(async () => {
      // The same routes on a server of their own, so the limits can be short.
      server = Fastify({ logger: false });
      server.setValidatorCompiler(validatorCompiler);
      server.setSerializerCompiler(serializerCompiler);
      installErrorHandler(server);
      await server.register(fastifyWebsocket);
      await server.register(async (scope) => streamRoutes(scope, stack.runtime, { heartbeatMs: 100, stallTimeoutMs: 1000, batchSize: 20 }));
      await server.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await server?.close();
    });

    it('sends heartbeats: SSE comments and WebSocket pings', async () => {
      const session = await openSession('user-9');
      const sse = await openSse(withToken(`${base}/v1/chats/${session.chat_id}/events`, session.runtime_token));
      const ws = await openWs(withToken(`${base.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws`, session.runtime_token));
      await sse.until((received) => received.comments >= 2);
      await ws.until((received) => received.pings >= 2);
      // The heartbeat kept an idle WebSocket open (it answers pings).
      expect(ws.ended).toBe(false);
      sse.close();
      ws.close();
      await connectionsSettleAt('acme', session.chat_id, 0);
    });

    it('cuts a client that stopped reading without holding up another, and the cut one resumes', async () => {
      const session = await openSession('user-10');
      const ref = { appId: 'acme', chatId: session.chat_id };
      const url = withToken(`${base}/v1/chats/${session.chat_id}/events`, session.runtime_token);

      // A client that reads nothing: its socket fills and stays full.
      const stalledData: Buffer[] = [];
      let stalledClosed = false;
      const stalled = await new Promise<http.IncomingMessage>((resolve) => http.get(url, resolve));
      stalled.pause();
      stalled.on('data', (chunk: Buffer) => stalledData.push(chunk));
      stalled.on('close', () => {
        stalledClosed = true;
      });
      stalled.on('error', () => {});
      const live = await openSse(url);
      await connectionsSettleAt('acme', session.chat_id, 2);

      // Big events until the server gives up on the stalled client (its socket buffers are full),
      // well under the cap so nothing is trimmed.
      const published: string[] = [];
      const big = 'y'.repeat(64 * 1024);
      while ((await streamConnections('acme', session.chat_id)) === 2) {
        expect(published.length).toBeLessThan(STREAM_MAX_LEN - 100);
        published.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => events.publish(ref, { type: 'message.delta', data: { n: published.length + i, big } })))));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The other client got every event, in order, while the stalled one sat there.
      await live.until((received) => received.ids.length === published.length);
      expect(live.ids).toEqual(published);
      expect(live.ended).toBe(false);
      await connectionsSettleAt('acme', session.chat_id, 1);

      // The cut client reads what reached it: a prefix, in order; it resumes after its last id.
      stalled.resume();
      await vi.waitFor(() => expect(stalledClosed).toBe(true), { timeout: 20_000 });
      const got: string[] = [];
      const parser = createParser({ onEvent: (message) => got.push(message.id ?? '') });
      parser.feed(Buffer.concat(stalledData).toString('utf8'));
      expect(got.length).toBeLessThan(published.length);
      expect(got).toEqual(published.slice(0, got.length));
      const resumed = await openSse(url, got.length > 0 ? { 'last-event-id': got.at(-1) as string } : {});
      await resumed.until((received) => received.ids.includes(published.at(-1) as string));
      expect([...got, ...resumed.ids]).toEqual(published);
      resumed.close();
      live.close();
      await connectionsSettleAt('acme', session.chat_id, 0);
    });

    it('ends open streams when the server closes', async () => {
      const session = await openSession('user-11');
      const sse = await openSse(withToken(`${base}/v1/chats/${session.chat_id}/events`, session.runtime_token));
      const ws = await openWs(withToken(`${base.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws`, session.runtime_token));
      await connectionsSettleAt('acme', session.chat_id, 2);
      await server.close();
      await sse.until((received) => received.ended);
      await ws.until((received) => received.ended);
      await connectionsSettleAt('acme', session.chat_id, 0);
    });
  });
});
