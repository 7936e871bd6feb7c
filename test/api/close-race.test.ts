/**
 * Messages that race a close (and a cancel) on a chat that is closed and opened again: each answers
 * a turn or a clear 409, never a 5xx. Found by Schemathesis with a runtime token: a message that
 * landed as the run completed got "unexpected workflow task failure" from the server (the run's
 * completion refused with UnhandledCommand) and the API answered 500; the client now retries that
 * Update (its id is the turn id, so it never makes a second turn).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
let appKey: string;

beforeAll(async () => {
  stack = await startApiStack({ label: 'closerace' });
  appKey = await stack.createApp('close-race', { tier: 'enterprise' });
});

afterAll(async () => {
  await stack?.close();
});

describe('messages racing a close', () => {
  it('answer a turn or 409 in every round, never 5xx', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 6; round++) {
      const chat = `race-${round % 3}`;
      const session = await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: 'racer', chat_id: chat } });
      expect(session.status).toBe(200);
      const token = ((await session.json()) as { runtime_token: string }).runtime_token;
      const later = (ms: number, send: () => Promise<Response>) => new Promise((resolve) => setTimeout(resolve, ms)).then(send);
      const answers = await Promise.all([
        stack.call('POST', `/v1/chats/${chat}/messages`, { key: token, body: { content: 'first' } }),
        stack.call('POST', `/v1/chats/${chat}/messages`, { key: token, body: { content: 'second' } }),
        later(round * 7, () => stack.call('POST', `/v1/chats/${chat}/close`, { key: token })),
        later(round * 5, () => stack.call('POST', `/v1/chats/${chat}/cancel`, { key: token, body: {} })),
        stack.call('POST', `/v1/chats/${chat}/messages`, { key: token, body: { content: 'third' } }),
      ]);
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status >= 500) throw new Error(`round ${round}: ${answer.url} answered ${answer.status} ${await answer.text()}`);
      }
    }
    expect(statuses.every((status) => [200, 202, 409].includes(status))).toBe(true);
    expect(statuses.filter((status) => status < 300).length).toBeGreaterThan(0);
  }, 180_000);
});
