/**
 * Admission across replicas: two API processes, one app allowed N concurrent turns, 4N messages
 * sent at once through both — never more than N reach the model together (counted at the offline
 * model), the rest are refused with 429 and Retry-After.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningOfflineModel } from '../../src/dev/offline-model';
import type { ApiProcess } from '../support/api-process';
import type { ApiStack } from '../support/api-stack';
import { startReplicatedStack, type ReplicatedStack } from '../support/replicated-stack';

const N = 3;
let stack: ApiStack;
let model: RunningOfflineModel;
let replicas: ApiProcess[] = [];
let replicated: ReplicatedStack;

beforeAll(async () => {
  // Turns last seconds, so every message arrives while the first N still run.
  replicated = await startReplicatedStack({ label: 'admission', tokenLatencyMs: 60 });
  ({ stack, model, replicas } = replicated);
}, 180_000);

afterAll(async () => {
  await replicated?.close();
});

it(`admits at most ${N} concurrent turns across two API processes`, async () => {
  const key = await stack.createApp('limited', { limits: { max_concurrent_turns: N, turns_per_minute: 1000 } });
  const chats: string[] = [];
  for (let i = 0; i < 4 * N; i++) {
    const response = await fetch(`${replicas[i % 2]?.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'assistant', user_id: `u${i}`, chat_id: `adm-${i}` }),
    });
    expect(response.status).toBe(200);
    chats.push(`adm-${i}`);
  }
  model.load.reset();

  const responses = await Promise.all(
    chats.map((chatId, i) =>
      fetch(`${replicas[i % 2]?.url}/v1/chats/${chatId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: `Tell me a long story number ${i}` }),
      }),
    ),
  );
  const statuses = responses.map((response) => response.status);
  const refused = responses.filter((response) => response.status === 429);
  expect(statuses.filter((status) => status === 200)).toHaveLength(N);
  expect(refused).toHaveLength(3 * N);
  for (const response of refused) {
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await response.json()).toMatchObject({ error: { code: 'too_many_concurrent_turns' } });
  }
  expect(model.load.read().maxInFlight).toBeLessThanOrEqual(N);
  expect(model.load.read().requests).toBe(N);

  // The slots were given back when the turns ended: the app is admitted again.
  const again = await fetch(`${replicas[0]?.url}/v1/chats/${chats[0]}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'one more' }),
  });
  expect(again.status).toBe(200);
}, 120_000);
