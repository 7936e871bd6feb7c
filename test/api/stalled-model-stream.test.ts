/**
 * Regression (found by the turn fuzzer, test/fuzz/turn-fuzz.test.ts, when a long message stalled
 * the offline model): a model that stalls past the LLM step's heartbeat timeout and then sends the
 * rest of its answer in one burst. The server gives the attempt up and runs the next one
 * (`turn.restarted`); the given-up attempt must not publish its late chunks — before the fix they
 * reached the stream after the next attempt's answer, even after `turn.completed`, so a client
 * showed the reply with half of it twice. Real Temporal dev server, FerretDB, Redis, the offline
 * model's own stall fault, over HTTP and SSE.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOfflineModel } from '../../src/dev/offline-model';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { openSse } from '../support/stream-clients';

const STALL_MS = 14_000;
let stack: ApiStack;
let model: Awaited<ReturnType<typeof startOfflineModel>>;
let key: string;

beforeAll(async () => {
  // No pacing: the chunks after the stall arrive in one write, as from a buffering proxy.
  model = await startOfflineModel({ port: 0, tokenLatencyMs: 0 });
  stack = await startApiStack({ label: 'stalled', llmBaseUrl: model.url });
  key = await stack.createApp('stalled', { tier: 'pro' });
});

afterAll(async () => {
  await stack?.close();
  await model?.close();
});

it('streams the reply once after turn.restarted when the model stalled past the heartbeat timeout, and nothing after turn.completed', async () => {
  const session = (await (await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: 'u1' } })).json()) as { chat_id: string };
  const sse = await openSse(`${stack.url}/v1/chats/${session.chat_id}/events?access_token=${encodeURIComponent(key)}`);
  const reply = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  // The first call stalls half-way for longer than the 10 s heartbeat timeout; the retry does not.
  model.setFaults({ failRate: 0, stallRate: 1, stallMs: STALL_MS });
  const sentAt = Date.now();
  const pending = stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key, body: { content: `[[reply ${JSON.stringify(reply)}]]`, message_id: 'stalled-1' } });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  model.setFaults(undefined);
  const answered = await pending;
  expect(answered.status).toBe(200);
  expect(((await answered.json()) as { message: { content: string } }).message.content).toBe(reply);
  // Past the moment the given-up attempt's chunks arrive.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + STALL_MS + 3_000 - Date.now())));
  sse.close();

  const frames = sse.frames.filter((frame) => frame.turn_id === 'stalled-1');
  const types = frames.map((frame) => frame.type);
  expect(types.filter((type) => type === 'turn.restarted')).toHaveLength(1);
  expect(types.at(-1)).toBe('turn.completed');
  const afterRestart = frames.slice(types.lastIndexOf('turn.restarted') + 1);
  expect(afterRestart.filter((frame) => frame.type === 'message.delta').map((frame) => String(frame.data.delta)).join('')).toBe(reply);
  const transcript = (await (await stack.call('GET', `/v1/chats/${session.chat_id}/messages`, { key })).json()) as { messages: { role: string; content: string }[] };
  expect(transcript.messages.map((message) => [message.role, message.content])).toEqual([
    ['user', `[[reply ${JSON.stringify(reply)}]]`],
    ['assistant', reply],
  ]);
});
