import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIds, type RunToolArgs, type ToolCall } from '../../../src/domain/chat';
import { HTTP_GET_MAX_CHARS } from '../../../src/activities/chat/tool-runners';
import { activityKit, APP, type ActivityKit } from './kit';

let kit: ActivityKit;
let server: http.Server;
let base: string;
const now = new Date('2025-06-01T12:00:00Z');

beforeAll(async () => {
  kit = await activityKit('tools', { httpAllowlist: ['127.0.0.1'], now: () => now });
  // A real loopback site for http_get: a page, a long page, a 404 and redirects in and out of the allowlist.
  server = http.createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url === '/hello') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the test site');
    if (req.url === '/long') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(50_000));
    if (req.url === '/inside') return void res.writeHead(302, { location: '/hello' }).end();
    if (req.url === '/outside') return void res.writeHead(302, { location: `http://localhost:${port}/hello` }).end();
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await kit.close();
});

let nextIndex = 0;
function toolArgs(chatId: string, call: Omit<ToolCall, 'id'>, allowedTools: string[] = ['calculator', 'current_time', 'http_get']): RunToolArgs {
  const index = nextIndex++;
  return {
    appId: APP,
    chatId,
    turnId: `${chatId}-t1`,
    step: 0,
    index,
    seq: 10 + index,
    messageId: messageIds.tool(`${chatId}-t1`, 0, index),
    call: { id: `call_${index}`, ...call },
    allowedTools,
  };
}

async function storedContent(args: RunToolArgs): Promise<string | undefined> {
  return (await kit.chats.findMessage(args.chatId, args.messageId))?.content;
}

describe('runTool', () => {
  it('turns a tool the template does not allow into a tool error, stored once, announced once', async () => {
    const args = toolArgs('c1', { name: 'http_get', arguments: `{"url":"${base}/hello"}` }, ['calculator']);
    const result = await kit.run(kit.activities.runTool, args);
    expect(result.ok).toBe(false);
    expect(result.preview).toMatch(/^error: tool 'http_get' is not available/);
    await kit.run(kit.activities.runTool, args, { attempt: 2 });
    const stored = await kit.collections.messages.find({ chat_id: 'c1' });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ role: 'tool', tool_call_id: args.call.id, name: 'http_get', tool_ok: false, seq: args.seq });
    const events = await kit.events.read({ appId: APP, chatId: 'c1' });
    expect(events.map((e) => e.type)).toEqual(['tool.called', 'tool.result']);
    expect(events[1]?.data).toMatchObject({ ok: false, tool_call_id: args.call.id, name: 'http_get' });
  });

  it('turns bad arguments and unknown tools into tool errors', async () => {
    const bad = toolArgs('c2', { name: 'calculator', arguments: '{"expr":' });
    expect(await kit.run(kit.activities.runTool, bad)).toMatchObject({ ok: false });
    expect(await storedContent(bad)).toMatch(/^error: arguments for calculator are not valid JSON/);

    const wrong = toolArgs('c2', { name: 'calculator', arguments: '{"expression":"2+"}' });
    expect(await kit.run(kit.activities.runTool, wrong)).toMatchObject({ ok: false });
    expect(await storedContent(wrong)).toMatch(/^error: /);

    const unknown = toolArgs('c2', { name: 'rm_rf', arguments: '{}' }, ['rm_rf']);
    expect(await kit.run(kit.activities.runTool, unknown)).toMatchObject({ ok: false });
    expect(await storedContent(unknown)).toMatch(/^error: unknown tool 'rm_rf'/);
  });

  it('tells the time in a time zone, and refuses an unknown zone', async () => {
    const paris = toolArgs('c3', { name: 'current_time', arguments: '{"timezone":"Europe/Paris"}' });
    expect(await kit.run(kit.activities.runTool, paris)).toEqual({ ok: true, preview: '2025-06-01T14:00:00+02:00 (Sunday, Europe/Paris)' });
    const utc = toolArgs('c3', { name: 'current_time', arguments: '' });
    expect((await kit.run(kit.activities.runTool, utc)).preview).toBe('2025-06-01T12:00:00+00:00 (Sunday, UTC)');
    const mars = toolArgs('c3', { name: 'current_time', arguments: '{"timezone":"Mars/Olympus"}' });
    expect(await kit.run(kit.activities.runTool, mars)).toMatchObject({ ok: false });
  });

  it('fetches allowed URLs, follows allowed redirects, and keeps at most 20 000 characters', async () => {
    const hello = toolArgs('c4', { name: 'http_get', arguments: JSON.stringify({ url: `${base}/inside` }) });
    const result = await kit.run(kit.activities.runTool, hello);
    expect(result.ok).toBe(true);
    expect(await storedContent(hello)).toMatch(/^HTTP 200 \(text\/plain\)\n\nhello from the test site$/);

    const long = toolArgs('c4', { name: 'http_get', arguments: JSON.stringify({ url: `${base}/long` }) });
    expect((await kit.run(kit.activities.runTool, long)).ok).toBe(true);
    const text = (await storedContent(long)) ?? '';
    expect(/\n\n(x+)\n\n/.exec(text)?.[1]).toHaveLength(HTTP_GET_MAX_CHARS);
    expect(text).toMatch(/\[truncated after 20000 characters\]$/);
  });

  it('refuses hosts off the allowlist, redirects to them, and reports HTTP errors', async () => {
    const offList = toolArgs('c5', { name: 'http_get', arguments: JSON.stringify({ url: 'http://example.com/' }) });
    expect(await kit.run(kit.activities.runTool, offList)).toMatchObject({ ok: false });
    expect(await storedContent(offList)).toMatch(/not allowed/);

    const outside = toolArgs('c5', { name: 'http_get', arguments: JSON.stringify({ url: `${base}/outside` }) });
    expect(await kit.run(kit.activities.runTool, outside)).toMatchObject({ ok: false });
    expect(await storedContent(outside)).toMatch(/^error: redirect to http:\/\/localhost:\d+\/hello is not allowed/);

    const missing = toolArgs('c5', { name: 'http_get', arguments: JSON.stringify({ url: `${base}/missing` }) });
    expect(await kit.run(kit.activities.runTool, missing)).toMatchObject({ ok: false });
    expect(await storedContent(missing)).toBe('error: HTTP 404 Not Found: no such page');
  });
});
