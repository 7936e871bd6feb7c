/**
 * Tracing and logs on the whole embedded stack (`npm start`'s), with tracing on: an in-process
 * OTLP receiver gets the spans of a turn sent through the API — request → Update-with-Start →
 * the workflow's Update handler → the llmStep activity → the LLM call — under one trace id, which
 * the usage event and the request's log lines carry too. The logs, at debug, hold no message text
 * and no credential.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { startStack, type RunningStack } from '../../src/dev/stack';
import type { UsageEventDoc } from '../../src/stores/documents';
import { createLogger } from '../../src/telemetry/logging';
import { embeddedConfig } from '../support/embedded-config';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver';

const USER_TEXTS = ['Zebra-quartz meadow lantern 7781', 'Okapi-violet harbour compass 4419 calculate (2+3)*7'];

describe('tracing and logs of a turn', () => {
  let dataDir: string;
  let config: Config;
  let stack: RunningStack;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let logFile: string;
  let appKey: string;
  let runtimeToken: string;
  let chatId: string;
  const replies: { turn_id: string; message: { content: string }; usage: { input_tokens: number; output_tokens: number; cost_usd: number } }[] = [];
  const traceIds: string[] = [];

  const api = async (method: string, route: string, key: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return response;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-otel-'));
    logFile = path.join(dataDir, 'tessera.log');
    config = await embeddedConfig(dataDir, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, LOG_LEVEL: 'debug', TESSERA_OPS_FAST_LOOP: 'off', TESSERA_SCHEDULES: 'off' });
    const log = createLogger({ level: 'debug', base: { service: 'tessera' } }, pino.destination({ dest: logFile, sync: true }));
    stack = await startStack(config, log);

    const created = await api('POST', '/v1/apps', stack.adminKey, { app_id: 'traced', name: 'Traced' });
    expect(created.status).toBe(201);
    appKey = ((await created.json()) as { api_key: string }).api_key;
    const session = await api('POST', '/v1/sessions', appKey, { template: 'researcher', user_id: 'ann' });
    const sessionBody = (await session.json()) as { chat_id: string; runtime_token: string };
    chatId = sessionBody.chat_id;
    runtimeToken = sessionBody.runtime_token;
    for (const [i, content] of USER_TEXTS.entries()) {
      const response = await api('POST', `/v1/chats/${chatId}/messages`, i === 0 ? appKey : runtimeToken, { content });
      expect(response.status).toBe(200);
      replies.push((await response.json()) as (typeof replies)[number]);
      traceIds.push(/^00-([0-9a-f]{32})-/.exec(response.headers.get('traceparent') ?? '')?.[1] ?? '');
    }
    // A stream opened with the token in the URL, as browsers do (its URL must not be logged as is).
    const abort = new AbortController();
    const events = await fetch(`${stack.apiUrl}/v1/chats/${chatId}/events?access_token=${runtimeToken}`, { signal: abort.signal });
    expect(events.status).toBe(200);
    abort.abort();
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Spans arrive in batches: wait until the trace holds a span matching `match`. */
  async function spanOf(traceId: string, match: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    for (let i = 0; i < 200; i++) {
      const found = receiver.spans.find((span) => span.traceId === traceId && match(span));
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no such span in trace ${traceId}; spans: ${receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name).join(', ')}`);
  }

  function parentOf(span: ReceivedSpan): ReceivedSpan | undefined {
    return receiver.spans.find((other) => other.spanId === span.parentSpanId);
  }

  it('one trace id runs from the API request through the workflow and the activity to the LLM call', async () => {
    const traceId = traceIds[0]!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIds[1]).not.toBe(traceId); // one trace per request

    const request = await spanOf(traceId, (s) => s.name === 'POST /v1/chats/:chat_id/messages');
    const update = await spanOf(traceId, (s) => s.name === 'UpdateWithStartWorkflow:sendMessage');
    const handler = await spanOf(traceId, (s) => s.name === 'HandleUpdate:sendMessage');
    const activity = await spanOf(traceId, (s) => s.name === 'RunActivity:llmStep');
    const llm = await spanOf(traceId, (s) => s.name.startsWith('chat '));

    expect(request.parentSpanId).toBe('');
    expect(request.attributes).toMatchObject({ 'http.response.status_code': 200, 'tessera.app_id': 'traced', 'tessera.chat_id': chatId });
    expect(update.parentSpanId).toBe(request.spanId);
    expect(llm.parentSpanId).toBe(activity.spanId);
    // The workflow's handler and the activity descend from the client's Update-with-Start.
    for (const descendant of [handler, activity]) {
      const ancestors: string[] = [];
      for (let at = parentOf(descendant); at; at = parentOf(at)) ancestors.push(at.spanId);
      expect(ancestors).toContain(update.spanId);
      expect(ancestors).toContain(request.spanId);
    }
    expect(new Set([request.service, update.service, handler.service, activity.service, llm.service])).toEqual(new Set(['tessera']));
  });

  it('the LLM span has GenAI attributes and the cost, matching the reply and the usage event', async () => {
    const traceId = traceIds[0]!;
    const llm = await spanOf(traceId, (s) => s.name.startsWith('chat '));
    const reply = replies[0]!;
    expect(llm.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.usage.input_tokens': reply.usage.input_tokens,
      'gen_ai.usage.output_tokens': reply.usage.output_tokens,
      'tessera.app_id': 'traced',
      'tessera.chat_id': chatId,
      'tessera.turn_id': reply.turn_id,
    });
    expect(llm.attributes['gen_ai.request.model']).toEqual(expect.any(String));
    expect(llm.attributes['tessera.cost_usd']).toBeCloseTo(reply.usage.cost_usd, 9);
    expect(JSON.stringify(llm.attributes)).not.toContain(reply.message.content);
    expect(JSON.stringify(llm.attributes)).not.toContain(USER_TEXTS[0]);

    const mongo = await MongoClient.connect(`mongodb://127.0.0.1:${config.FERRETDB_PORT}/`);
    try {
      const events = await mongo.db(config.MONGODB_DB).collection<UsageEventDoc>('usage_events').find({ app_id: 'traced', turn_id: reply.turn_id }).toArray();
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) expect(event.trace_id).toBe(traceId);
    } finally {
      await mongo.close();
    }
  });

  it('every log line is JSON, and a request’s lines name its request id and trace id', () => {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(10);
    const traced = lines.filter((line) => line.trace_id === traceIds[0]);
    expect(traced.length).toBeGreaterThan(0);
    for (const line of traced) expect(line.request_id).toEqual(expect.any(String));
    expect(traced.some((line) => line.app_id === 'traced' && line.chat_id === chatId)).toBe(true);
  });

  it('no log line holds a message text or a credential, at debug', () => {
    const text = fs.readFileSync(logFile, 'utf8');
    const forbidden = {
      'admin key': stack.adminKey,
      'app key': appKey,
      'app key secret': appKey.split('.').pop()!,
      'runtime token': runtimeToken,
      ...Object.fromEntries(USER_TEXTS.map((content, i) => [`user message ${i}`, content])),
      ...Object.fromEntries(replies.map((reply, i) => [`reply ${i}`, reply.message.content])),
    };
    for (const [what, secret] of Object.entries(forbidden)) {
      expect(secret.length, what).toBeGreaterThan(8);
      expect(text.includes(secret), `${what} in the log`).toBe(false);
    }
    // The stream request was logged, without its token.
    expect(text).toContain('access_token=%5Bredacted%5D');
  });
});
