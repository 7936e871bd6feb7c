/**
 * Text a store cannot hold is refused at the edge (DESIGN §4 "Text", issue 17): a NUL in a chat
 * message, an app name or a pack run input answers 400 `invalid_text` naming the field, and the
 * chat answers its next message; every other character is stored and returned exactly. Real
 * Temporal, FerretDB, Redis and the offline model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
let appKey: string;

beforeAll(async () => {
  stack = await startApiStack({ label: 'text' });
  appKey = await stack.createApp('texty', { tier: 'pro' });
});

afterAll(async () => {
  await stack?.close();
});

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('storable text at the edge', () => {
  it('refuses a NUL chat message with 400 invalid_text naming content, then answers a normal message', async () => {
    const session = await json<{ chat_id: string; runtime_token: string }>(
      await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: 'u-nul' } }),
    );
    const started = Date.now();
    const refused = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: session.runtime_token, body: { content: 'bad\u0000text' } });
    expect(refused.status).toBe(400);
    const body = await json<{ error: { code: string; message: string } }>(refused);
    expect(body.error.code).toBe('invalid_text');
    expect(body.error.message).toContain('content');
    expect(Date.now() - started).toBeLessThan(5_000);

    // Every other character — control characters included — is stored and returned exactly.
    const odd = 'ok \u0001\u0007\u001f\u007f\t tab';
    const answered = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: session.runtime_token, body: { content: odd } });
    expect(answered.status).toBe(200);
    const transcript = await json<{ messages: { role: string; content: string }[] }>(
      await stack.call('GET', `/v1/chats/${session.chat_id}/messages`, { key: session.runtime_token }),
    );
    expect(transcript.messages.filter((message) => message.role === 'user').map((message) => message.content)).toEqual([odd]);
    const chat = await json(await stack.call('GET', `/v1/chats/${session.chat_id}`, { key: appKey }));
    expect(chat).toMatchObject({ turn_count: 1 });
  });

  it('refuses an app name with NUL with 400 invalid_text, on create and on PATCH', async () => {
    const created = await stack.call('POST', '/v1/apps', { key: stack.adminKey, body: { app_id: 'nulapp', name: 'Bad\u0000Name' } });
    expect(created.status).toBe(400);
    const body = await json<{ error: { code: string; message: string } }>(created);
    expect(body.error).toMatchObject({ code: 'invalid_text' });
    expect(body.error.message).toContain('name');
    const patched = await stack.call('PATCH', '/v1/apps/texty', { key: stack.adminKey, body: { name: 'x\u0000' } });
    expect(patched.status).toBe(400);
    expect(await json(patched)).toMatchObject({ error: { code: 'invalid_text' } });
  });

  it('refuses a pack run input with NUL in a value or a key (invalid_text) and a $ or dotted key (invalid_key)', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ topic: 'heat\u0000pumps' }, 'invalid_text'],
      [{ 'to\u0000pic': 'x' }, 'invalid_text'],
      [{ $where: 'x' }, 'invalid_key'],
      [{ 'a.b': 'x' }, 'invalid_key'],
    ];
    for (const [input, code] of cases) {
      const response = await stack.call('POST', '/v1/packs/brief/runs', { key: appKey, body: { user_id: 'u1', input } });
      expect(response.status).toBe(400);
      const body = await json<{ error: { code: string; message: string } }>(response);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain('input');
    }
    const badUser = await stack.call('POST', '/v1/packs/brief/runs', { key: appKey, body: { user_id: 'u\u0000', input: { topic: 'x' } } });
    expect(await json(badUser)).toMatchObject({ error: { code: 'invalid_text' } });
  });

  it('shows the rule as a pattern in the OpenAPI document', async () => {
    const document = JSON.stringify(await json(await stack.call('GET', '/v1/openapi.json')));
    expect(document).toContain('^[^\\\\u0000]*$');
  });
});
