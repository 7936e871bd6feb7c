/**
 * The chat API end to end over real HTTP: apps and keys, the session broker, messages (waiting,
 * 202, retried with a message id), the chat, its transcript and the chat list — against a real
 * Temporal dev server, FerretDB, Redis and the offline model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfflineModel } from '../../src/dev/offline-model';
import { AuditRepository } from '../../src/stores/audit-repository';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
let slowModel: Awaited<ReturnType<typeof startOfflineModel>>;
let appKey: string;

beforeAll(async () => {
  // Slow enough per token that a connection can be cut while the turn is still streaming.
  slowModel = await startOfflineModel({ port: 0, tokenLatencyMs: 40 });
  stack = await startApiStack({ label: 'chatapi', llmBaseUrl: slowModel.url });
  appKey = await stack.createApp('acme', { tier: 'pro' });
});

afterAll(async () => {
  await stack?.close();
  await slowModel?.close();
});

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function openSession(userId: string, chatId?: string) {
  const response = await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: userId, ...(chatId ? { chat_id: chatId } : {}) } });
  expect(response.status).toBe(200);
  return json<{ chat_id: string; runtime_token: string; sse_url: string; ws_url: string; expires_at: string; status: string }>(response);
}

describe('apps', () => {
  it('creates an app once, shows its key once and stores only a digest', async () => {
    const response = await stack.call('POST', '/v1/apps', { key: stack.adminKey, body: { app_id: 'beta', name: 'Beta', limits: { max_concurrent_turns: 3 } } });
    expect(response.status).toBe(201);
    const body = await json<{ api_key: string; limits: { max_concurrent_turns: number; turns_per_minute: number }; tier: string }>(response);
    expect(body.api_key).toMatch(/^tsk\.beta\./);
    expect(body).toMatchObject({ tier: 'free', limits: { max_concurrent_turns: 3, turns_per_minute: 60 } });
    const stored = await (await stack.kit.mongo.dbFor('beta')).collection('apps').findOne({ app_id: 'beta' });
    expect(JSON.stringify(stored)).not.toContain(body.api_key);

    const again = await stack.call('POST', '/v1/apps', { key: stack.adminKey, body: { app_id: 'beta', name: 'Beta' } });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ error: { code: 'app_exists' } });

    const read = await stack.call('GET', '/v1/apps/beta', { key: stack.adminKey });
    expect(await json(read)).not.toHaveProperty('api_key');
  });

  it('changes tier and limits with PATCH', async () => {
    const response = await stack.call('PATCH', '/v1/apps/beta', { key: stack.adminKey, body: { tier: 'enterprise', limits: { turns_per_minute: 7 } } });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ tier: 'enterprise', limits: { max_concurrent_turns: 3, turns_per_minute: 7 } });
    expect((await stack.call('PATCH', '/v1/apps/nope', { key: stack.adminKey, body: { paused: true } })).status).toBe(404);
    expect((await stack.call('PATCH', '/v1/apps/beta', { key: stack.adminKey, body: {} })).status).toBe(400);
  });

  it('refuses an app key on an admin route with 403, audited in the app with its identity', async () => {
    const response = await stack.call('PATCH', '/v1/apps/acme', { key: appKey, body: { paused: true } });
    expect(response.status).toBe(403);
    expect(await json(response)).toMatchObject({ error: { code: 'forbidden' } });
    const events = await new AuditRepository(stack.kit.mongo).listAppEvents('acme', { limit: 1000 });
    const refusal = events.find((event) => event.outcome === 'failure' && event.resource.id === '/v1/apps/:app_id');
    expect(refusal?.actor).toMatchObject({ actor_id: 'app:acme', via: 'app_key' });
  });

  it('refuses the old key after a rotation and accepts the new one', async () => {
    const oldKey = await stack.createApp('gamma');
    expect((await stack.call('GET', '/v1/chats?user_id=u', { key: oldKey })).status).toBe(200);
    const rotated = await json<{ api_key: string }>(await stack.call('POST', '/v1/apps/gamma/keys/rotate', { key: stack.adminKey }));
    expect(rotated.api_key).not.toBe(oldKey);
    const refused = await stack.call('GET', '/v1/chats?user_id=u', { key: oldKey });
    expect(refused.status).toBe(401);
    expect(await json(refused)).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await stack.call('GET', '/v1/chats?user_id=u', { key: rotated.api_key })).status).toBe(200);
  });
});

describe('sessions and messages', () => {
  it('starts a session and answers a message sent with the runtime token', async () => {
    const session = await openSession('user-1');
    expect(session).toMatchObject({ status: 'active' });
    expect(session.sse_url).toBe(`${stack.url}/v1/chats/${session.chat_id}/events`);
    expect(session.ws_url).toBe(`${stack.url.replace('http', 'ws')}/v1/chats/${session.chat_id}/ws`);
    expect(new Date(session.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    const response = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: session.runtime_token, body: { content: 'Hello there' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const turn = await json<{ turn_id: string; message: { role: string; content: string }; usage: { input_tokens: number; output_tokens: number; cost_usd: number } }>(response);
    expect(turn.message.role).toBe('assistant');
    expect(turn.message.content).toMatch(/^Offline reply to: Hello there/);
    expect(turn.usage.input_tokens).toBeGreaterThan(0);
    expect(turn.usage.output_tokens).toBeGreaterThan(0);

    const chat = await json(await stack.call('GET', `/v1/chats/${session.chat_id}`, { key: appKey }));
    expect(chat).toMatchObject({ chat_id: session.chat_id, user_id: 'user-1', template: 'assistant', status: 'active', turn_count: 1 });
    const transcript = await json<{ messages: { role: string; content: string; seq: number }[]; next_after: number | null }>(
      await stack.call('GET', `/v1/chats/${session.chat_id}/messages?limit=1`, { key: session.runtime_token }),
    );
    expect(transcript.messages).toHaveLength(1);
    expect(transcript.messages[0]).toMatchObject({ role: 'user', content: 'Hello there' });
    const rest = await json<{ messages: { role: string; content: string }[]; next_after: number | null }>(
      await stack.call('GET', `/v1/chats/${session.chat_id}/messages?after=${transcript.next_after}`, { key: session.runtime_token }),
    );
    expect(rest.messages.map((message) => message.role)).toEqual(['assistant']);
    expect(rest.messages[0]?.content).toBe(turn.message.content);
    expect(rest.next_after).toBeNull();

    const list = await json<{ chats: { chat_id: string }[] }>(await stack.call('GET', '/v1/chats?user_id=user-1', { key: appKey }));
    expect(list.chats.map((item) => item.chat_id)).toContain(session.chat_id);
  });

  it('answers 202 at once with ?wait=false, and the turn still completes', async () => {
    const session = await openSession('user-2');
    const response = await stack.call('POST', `/v1/chats/${session.chat_id}/messages?wait=false`, { key: appKey, body: { content: 'No waiting' } });
    expect(response.status).toBe(202);
    const { turn_id: turnId } = await json<{ turn_id: string }>(response);
    for (let attempt = 0; attempt < 300; attempt++) {
      const chat = await json<{ turn_count: number }>(await stack.call('GET', `/v1/chats/${session.chat_id}`, { key: appKey }));
      if (chat.turn_count === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const messages = await tenantCollections(stack.kit.mongo, 'acme').messages.find({ chat_id: session.chat_id, turn_id: turnId });
    expect(messages.map((message) => message.role).sort()).toEqual(['assistant', 'user']);
  });

  it('gives one turn for a POST retried with the same message_id after its connection was cut', async () => {
    const session = await openSession('user-3');
    const path = `/v1/chats/${session.chat_id}/messages`;
    const body = { content: 'Please explain idempotency at length', message_id: 'msg-retry-1' };
    const cut = new AbortController();
    const first = fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: cut.signal,
    }).catch((error: unknown) => error);
    // Cut the first request once the turn is under way (its user message is stored).
    const messages = tenantCollections(stack.kit.mongo, 'acme').messages;
    for (let attempt = 0; attempt < 300 && (await messages.countDocuments({ chat_id: session.chat_id })) === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    cut.abort();
    expect(await first).toBeInstanceOf(Error);

    const retried = await stack.call('POST', path, { key: appKey, body });
    expect(retried.status).toBe(200);
    const turn = await json<{ turn_id: string; message: { content: string } }>(retried);
    expect(turn.turn_id).toBe('msg-retry-1');
    // And once more after it finished: answered from what the turn stored.
    const again = await json<{ turn_id: string; message: { content: string } }>(await stack.call('POST', path, { key: appKey, body }));
    expect(again).toEqual(turn);

    expect(await messages.countDocuments({ chat_id: session.chat_id, role: 'user' })).toBe(1);
    expect(await messages.countDocuments({ chat_id: session.chat_id, role: 'assistant' })).toBe(1);
    expect(await tenantCollections(stack.kit.mongo, 'acme').usageEvents.countDocuments({ chat_id: session.chat_id })).toBe(1);
    const chat = await json<{ turn_count: number }>(await stack.call('GET', `/v1/chats/${session.chat_id}`, { key: appKey }));
    expect(chat.turn_count).toBe(1);
  });

  it('refuses messages to a paused app with 503 and Retry-After, and to a closed chat with 409', async () => {
    const session = await openSession('user-4');
    await stack.call('PATCH', '/v1/apps/acme', { key: stack.adminKey, body: { paused: true } });
    const paused = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: appKey, body: { content: 'hi' } });
    expect(paused.status).toBe(503);
    expect(paused.headers.get('retry-after')).toBe('30');
    await stack.call('PATCH', '/v1/apps/acme', { key: stack.adminKey, body: { paused: false } });

    expect((await stack.call('POST', `/v1/chats/${session.chat_id}/close`, { key: appKey })).status).toBe(202);
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      refused = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: appKey, body: { content: 'still there?' } });
      if (refused.status === 409) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refused?.status).toBe(409);
    expect(await json(refused as Response)).toMatchObject({ error: { code: 'session_closed' } });
  });

  it('audits a turn with the caller identity', async () => {
    const session = await openSession('user-5');
    await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: session.runtime_token, body: { content: 'audit me' } });
    const events = await new AuditRepository(stack.kit.mongo).listAppEvents('acme', { limit: 1000 });
    const created = events.find((event) => event.resource.type === 'chat_message' && event.details?.chat_id === session.chat_id);
    expect(created?.actor).toMatchObject({ actor_id: 'user-5', via: 'runtime_token', app_id: 'acme' });
    expect(created?.actor.request_id).toBeTruthy();
    expect(await new AuditRepository(stack.kit.mongo).verifyAppAuditChain('acme')).toMatchObject({ valid: true });
  });
});

describe('the chat list and the admin reading a chat', () => {
  type ChatList = { chats: { chat_id: string; user_id: string; updated_at: string }[]; next_cursor: string | null; next_before: string | null };

  it('lists every chat of the app newest first in cursor pages, or one user\'s; the admin names the app; other apps are not found', async () => {
    const key = await stack.createApp('listing');
    const other = await stack.createApp('listing-other');
    const open = async (userId: string, appKeyOf: string) => {
      const response = await stack.call('POST', '/v1/sessions', { key: appKeyOf, body: { template: 'assistant', user_id: userId } });
      expect(response.status).toBe(200);
      return (await json<{ chat_id: string; runtime_token: string }>(response));
    };
    const made = [await open('ann', key), await open('bob', key), await open('ann', key)];
    const foreign = await open('ann', other);

    const all = await json<ChatList>(await stack.call('GET', '/v1/chats?limit=100', { key }));
    expect(all.chats.map((chat) => chat.chat_id).sort()).toEqual(made.map((chat) => chat.chat_id).sort());
    const order = [...all.chats].sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at) || (a.chat_id < b.chat_id ? 1 : -1));
    expect(all.chats).toEqual(order);
    expect(all.next_cursor).toBeNull();

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ChatList = await json<ChatList>(await stack.call('GET', `/v1/chats?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { key }));
      expect(page.chats.length).toBeLessThanOrEqual(1);
      paged.push(...page.chats.map((chat) => chat.chat_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual(all.chats.map((chat) => chat.chat_id));

    const ann = await json<ChatList>(await stack.call('GET', '/v1/chats?user_id=ann', { key }));
    expect(ann.chats.map((chat) => chat.user_id)).toEqual(['ann', 'ann']);
    // A runtime token lists its own user's chats only, whatever it asks.
    const own = await json<ChatList>(await stack.call('GET', '/v1/chats', { key: made[1]!.runtime_token }));
    expect(own.chats.map((chat) => chat.chat_id)).toEqual([made[1]!.chat_id]);
    expect((await stack.call('GET', '/v1/chats?user_id=ann', { key: made[1]!.runtime_token })).status).toBe(404);

    const admin = await json<ChatList>(await stack.call('GET', '/v1/chats?app_id=listing&limit=100', { key: stack.adminKey }));
    expect(admin.chats).toEqual(all.chats);
    expect((await stack.call('GET', '/v1/chats', { key: stack.adminKey })).status).toBe(400);
    expect((await stack.call('GET', '/v1/chats?app_id=nope', { key: stack.adminKey })).status).toBe(404);

    // Another app's key sees none of these and cannot name the app.
    const theirs = await json<ChatList>(await stack.call('GET', '/v1/chats?limit=100', { key: other }));
    expect(theirs.chats.map((chat) => chat.chat_id)).toEqual([foreign.chat_id]);
    expect((await stack.call('GET', '/v1/chats?app_id=listing', { key: other })).status).toBe(404);

    for (const query of ['cursor=bm90LWEtY3Vyc29y', 'cursor=%2F%2F', 'limit=0', 'user_id=%20', 'app_id=Bad_App', 'extra=1']) {
      expect((await stack.call('GET', `/v1/chats?${query}`, { key })).status).toBe(400);
    }
  });

  it('lets the admin read any app\'s chat when it names the app, read-only and audited in that app\'s log', async () => {
    const session = await openSession('user-admin-read');
    const turn = await stack.call('POST', `/v1/chats/${session.chat_id}/messages`, { key: appKey, body: { content: 'Read by the operator' } });
    expect(turn.status).toBe(200);

    const chat = await stack.call('GET', `/v1/chats/${session.chat_id}?app_id=acme`, { key: stack.adminKey });
    expect(chat.status).toBe(200);
    expect(await json(chat)).toMatchObject({ chat_id: session.chat_id, user_id: 'user-admin-read', turn_count: 1, workflow_id: `chat:acme:${session.chat_id}` });
    const transcript = await json<{ messages: { role: string; content: string }[] }>(
      await stack.call('GET', `/v1/chats/${session.chat_id}/messages?app_id=acme`, { key: stack.adminKey }),
    );
    expect(transcript.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(transcript.messages[0]?.content).toBe('Read by the operator');

    // Its SSE stream replays the turn's events.
    const controller = new AbortController();
    const events = await fetch(`${stack.url}/v1/chats/${session.chat_id}/events?app_id=acme`, { headers: { authorization: `Bearer ${stack.adminKey}` }, signal: controller.signal });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    let text = '';
    while (!text.includes('event: turn.completed')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();

    // Without the app, with the wrong app: told so, or not found.
    expect((await stack.call('GET', `/v1/chats/${session.chat_id}`, { key: stack.adminKey })).status).toBe(400);
    expect((await stack.call('GET', `/v1/chats/${session.chat_id}?app_id=beta`, { key: stack.adminKey })).status).toBe(404);
    // The app key names only its own app.
    expect((await stack.call('GET', `/v1/chats/${session.chat_id}?app_id=acme`, { key: appKey })).status).toBe(200);
    expect((await stack.call('GET', `/v1/chats/${session.chat_id}?app_id=beta`, { key: appKey })).status).toBe(404);
    // Read-only: the admin sends, cancels and closes nothing.
    for (const action of ['messages', 'cancel', 'close']) {
      const response = await stack.call('POST', `/v1/chats/${session.chat_id}/${action}?app_id=acme`, { key: stack.adminKey, body: action === 'messages' ? { content: 'x' } : {} });
      expect(response.status).toBe(403);
    }

    const log = await new AuditRepository(stack.kit.mongo).listAppEvents('acme', { limit: 1000 });
    const reads = log.filter((event) => event.action === 'read' && event.outcome === 'success' && event.resource.id === session.chat_id);
    expect(reads.map((event) => event.details?.route).sort()).toEqual(['/v1/chats/:chat_id', '/v1/chats/:chat_id/events', '/v1/chats/:chat_id/messages']);
    expect(reads.every((event) => event.actor.actor_id === 'admin')).toBe(true);
    expect(await new AuditRepository(stack.kit.mongo).verifyAppAuditChain('acme')).toMatchObject({ valid: true });
  });

  it('tells the console where the Temporal Web UI is', async () => {
    expect(await json(await stack.call('GET', '/console/api/config', { key: appKey }))).toEqual({ temporal_ui: null });
    stack.runtime.temporalUi = { url: 'http://127.0.0.1:8233', namespace: 'default' };
    expect(await json(await stack.call('GET', '/console/api/config', { key: stack.adminKey }))).toEqual({ temporal_ui: { url: 'http://127.0.0.1:8233', namespace: 'default' } });
    expect((await stack.call('GET', '/console/api/config')).status).toBe(401);
  });
});
