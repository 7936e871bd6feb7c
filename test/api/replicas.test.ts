/**
 * Two API processes serve one chat: a message sent through one is streamed, live, from the other —
 * the turn runs in the test's worker, the events travel through Redis, nothing lives in an API
 * process. A third client resumes from the middle on the first process and sees the rest once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiProcess } from '../support/api-process';
import type { ApiStack } from '../support/api-stack';
import { startReplicatedStack, type ReplicatedStack } from '../support/replicated-stack';
import { openSse } from '../support/stream-clients';

let stack: ApiStack;
let replicas: ApiProcess[] = [];
let replicated: ReplicatedStack;

beforeAll(async () => {
  replicated = await startReplicatedStack({ label: 'replicas', tokenLatencyMs: 10 });
  ({ stack, replicas } = replicated);
}, 180_000);

afterAll(async () => {
  await replicated?.close();
});

it('streams from one API process a turn sent through another', async () => {
  const [one, two] = replicas as [ApiProcess, ApiProcess];
  const key = await stack.createApp('shared');
  const session = (await (
    await fetch(`${one.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'assistant', user_id: 'u1' }),
    })
  ).json()) as { chat_id: string; runtime_token: string };

  const live = await openSse(`${two.url}/v1/chats/${session.chat_id}/events?access_token=${session.runtime_token}`);
  expect(live.status).toBe(200);
  const sent = await fetch(`${one.url}/v1/chats/${session.chat_id}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.runtime_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'Tell me how replicas share a stream' }),
  });
  expect(sent.status).toBe(200);
  const reply = (await sent.json()) as { turn_id: string; message: { content: string } };
  await live.untilEvent('turn.completed', reply.turn_id);
  live.close();

  const deltas = live.frames.filter((frame) => frame.type === 'message.delta').map((frame) => String(frame.data.delta ?? ''));
  expect(deltas.join('')).toBe(reply.message.content);

  // A client resuming from the middle, on the other process, sees exactly the rest.
  const middle = live.frames[Math.floor(live.frames.length / 2)];
  const resumed = await openSse(`${one.url}/v1/chats/${session.chat_id}/events?access_token=${session.runtime_token}`, {
    'last-event-id': String(middle?.id),
  });
  await resumed.untilEvent('turn.completed', reply.turn_id);
  resumed.close();
  const rest = live.ids.slice(live.ids.indexOf(String(middle?.id)) + 1);
  expect(resumed.ids).toEqual(rest);
}, 120_000);
