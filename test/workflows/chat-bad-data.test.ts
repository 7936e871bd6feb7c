/**
 * Bad data never wedges a chat (issue 17): NUL from the model, in tool arguments and in a fetched
 * page is stored as U+FFFD (the documented transformation) and the turn completes; a write the
 * store refuses for good fails the turn fast with `turn.failed` and a clear code, the next message
 * is served, and the chat's counters agree with what was kept. Real services throughout: the
 * time-skipping server, FerretDB, Redis, the offline model and a loopback site for `http_get`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTurnError } from '../../src/client/chat-client';
import { REPLACEMENT_CHARACTER } from '../../src/domain/text/storable';
import { STORE_INVALID_DATA, STORE_INVALID_DATA_CODE } from '../../src/domain/store-failure';
import { AppCounters } from '../../src/stores/app-counters';
import { ChatEvents } from '../../src/stores/chat-events';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { createChatKit, type ChatKit } from '../support/chat-kit';
import { startTimeSkipping } from '../support/temporal';

const APP = 'acme';
const NUL = '\u0000';
let env: TestWorkflowEnvironment;
let kit: ChatKit;
let site: http.Server;
let base: string;

beforeAll(async () => {
  site = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`page${NUL}body`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  env = await startTimeSkipping();
  kit = await createChatKit(env, { label: 'baddata', httpAllowlist: ['127.0.0.1'] });
});

afterAll(async () => {
  await kit?.close();
  await env?.teardown();
  await new Promise((resolve) => site.close(resolve));
});

/** The second test's app: its counters are its own. */
const OTHER_APP = 'globex';
const collections = (appId = APP) => tenantCollections(kit.mongo, appId);
/** A JSON string literal as the offline model's markers take it (`\u0000` stays escaped). */
const literal = (value: string) => JSON.stringify(value);

async function eventsOf(chatId: string, appId = APP) {
  return new ChatEvents(kit.redis).read({ appId, chatId }, { count: 1000 });
}

describe('text from the model and tools', () => {
  it('stores NUL in a reply, in tool arguments and in a fetched page as U+FFFD; the turn completes and the next one works', async () => {
    const template = kit.template('assistant', { tools: ['calculator', 'http_get'], max_tool_steps: 3 });
    const chatId = 'nul-model';
    const reply = `before${NUL}after ${NUL}${NUL} end`;
    // No NUL in the user's message itself: the markers carry it escaped.
    const content = [
      `[[tool:calculator ${literal(`{"expression":"1+1${NUL}"}`)}]]`,
      `[[tool:http_get ${literal(JSON.stringify({ url: `${base}/page` }))}]]`,
      `[[reply ${literal(reply)}]]`,
    ].join(' ');
    expect(content).not.toContain(NUL);

    const started = Date.now();
    const { first, second } = await kit.withWorker(async () => {
      const first = await kit.chats.sendMessage({ appId: APP, chatId, userId: 'u1', template, content, turnId: 't1' });
      const second = await kit.chats.sendMessage({ appId: APP, chatId, userId: 'u1', template, content: 'and now a normal message', turnId: 't2' });
      return { first, second };
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    const storable = reply.replaceAll(NUL, REPLACEMENT_CHARACTER);
    expect(first).toMatchObject({ status: 'completed', message: { content: storable } });
    expect(second.status).toBe('completed');
    expect(second.message.content).toMatch(/^Offline reply to: and now a normal message/);

    const messages = await collections().messages.find({ chat_id: chatId }, { sort: { seq: 1 } });
    const stored = JSON.stringify(messages);
    expect(stored).not.toContain(NUL);
    const [, calls, calculator, page, answer] = messages;
    expect(calls?.tool_calls?.map((call) => call.arguments)).toEqual([
      `{"expression":"1+1${REPLACEMENT_CHARACTER}"}`,
      JSON.stringify({ url: `${base}/page` }),
    ]);
    expect(calculator).toMatchObject({ role: 'tool', name: 'calculator', tool_ok: false });
    expect(page).toMatchObject({ role: 'tool', name: 'http_get', tool_ok: true });
    expect(page?.content).toContain(`page${REPLACEMENT_CHARACTER}body`);
    expect(answer).toMatchObject({ role: 'assistant', content: storable });

    // What the stream carried is what was stored.
    const events = (await eventsOf(chatId)).filter((event) => event.turn_id === 't1');
    const streamed = events
      .filter((event) => event.type === 'message.delta')
      .map((event) => (event.data as { delta: string }).delta)
      .join('');
    expect(streamed).toBe(storable);
    const called = events.filter((event) => event.type === 'tool.called').map((event) => (event.data as { arguments: string }).arguments);
    expect(called).toEqual(calls?.tool_calls?.map((call) => call.arguments));
    const results = events.filter((event) => event.type === 'tool.result').map((event) => (event.data as { content: string }).content);
    expect(results).toEqual([calculator?.content, page?.content]);
    expect(JSON.stringify(events)).not.toContain(NUL);

    const session = await collections().sessions.findOne({ chat_id: chatId });
    expect(session).toMatchObject({ turn_count: 2, last_turn_number: 2 });
    expect(session?.failed_turns ?? 0).toBe(0);
  });
});

describe('a write the store refuses for good', () => {
  it('fails the turn within seconds with turn.failed and store_invalid_data; the chat serves the next message; counters agree with the transcript', async () => {
    const template = kit.template('assistant');
    const chatId = 'store-refuses';
    const { refused, elapsedMs, next, status } = await kit.withWorker(async () => {
      const ok = await kit.chats.sendMessage({ appId: OTHER_APP, chatId, userId: 'u1', template, content: 'first, a normal message', turnId: 't1' });
      expect(ok.status).toBe('completed');
      // A message with NUL reaches the store only past the API (whose schema refuses it with 400
      // invalid_text), e.g. from a client of the workflow itself: FerretDB refuses it (22P05).
      const started = Date.now();
      const refused = await kit.chats
        .sendMessage({ appId: OTHER_APP, chatId, userId: 'u1', template, content: `bad${NUL}message`, turnId: 't2' })
        .then(() => undefined, (error: unknown) => error);
      const elapsedMs = Date.now() - started;
      const next = await kit.chats.sendMessage({ appId: OTHER_APP, chatId, userId: 'u1', template, content: 'and the chat still answers', turnId: 't3' });
      return { refused, elapsedMs, next, status: await kit.chats.status({ appId: OTHER_APP, chatId }) };
    });

    expect(refused).toBeInstanceOf(ChatTurnError);
    expect(refused).toMatchObject({ code: STORE_INVALID_DATA_CODE });
    // Not retried: far below the ~20 local retries (minutes) a transient error would get.
    expect(elapsedMs).toBeLessThan(10_000);
    expect(next.status).toBe('completed');
    expect(next.message.content).toMatch(/^Offline reply to: and the chat still answers/);
    expect(status).toMatchObject({ busy: false, queuedTurns: 0 });

    const events = await eventsOf(chatId, OTHER_APP);
    const ended = events.filter((event) => event.type === 'turn.completed' || event.type === 'turn.failed');
    expect(ended.map((event) => [event.turn_id, event.type])).toEqual([
      ['t1', 'turn.completed'],
      ['t2', 'turn.failed'],
      ['t3', 'turn.completed'],
    ]);
    expect(ended[1]?.data).toMatchObject({ status: 'failed', code: STORE_INVALID_DATA_CODE });

    // Counters equal the transcript: two turns kept, one failed and nothing of it stored.
    const messages = await collections(OTHER_APP).messages.find({ chat_id: chatId }, { sort: { seq: 1 } });
    expect(messages.map((m) => [m.turn_id, m.role])).toEqual([
      ['t1', 'user'],
      ['t1', 'assistant'],
      ['t3', 'user'],
      ['t3', 'assistant'],
    ]);
    const session = await collections(OTHER_APP).sessions.findOne({ chat_id: chatId });
    expect(session).toMatchObject({ turn_count: 2, failed_turns: 1, last_turn_number: 3 });
    const usageEvents = await collections(OTHER_APP).usageEvents.find({ chat_id: chatId });
    const sum = (pick: (event: (typeof usageEvents)[number]) => number) => usageEvents.reduce((total, event) => total + pick(event), 0);
    expect(session?.totals).toMatchObject({
      input_tokens: sum((e) => e.input_tokens),
      output_tokens: sum((e) => e.output_tokens),
      cost_nanos: sum((e) => e.cost_nanos),
    });
    const assistantUsage = messages.filter((m) => m.role === 'assistant').reduce((total, m) => total + (m.usage?.output_tokens ?? 0), 0);
    expect(session?.totals.output_tokens).toBe(assistantUsage);
    // The failed call is recorded as such (no tokens: the model was never asked).
    expect(usageEvents.filter((event) => event.status === 'error')).toEqual([
      expect.objectContaining({ turn_id: 't2', error_type: STORE_INVALID_DATA, input_tokens: 0, output_tokens: 0 }),
    ]);

    const now = Date.now();
    const counters = await new AppCounters(kit.redis).read(OTHER_APP, { from: new Date(now - 3_600_000), to: new Date(now + 60_000) });
    // The app counts every turn that ran, each failed one once in errors, and every call made.
    expect(counters).toMatchObject({ turns: 3, errors: 1, llm_calls: usageEvents.length, input_tokens: session?.totals.input_tokens, output_tokens: session?.totals.output_tokens, cost_nanos: session?.totals.cost_nanos });
  });
});
