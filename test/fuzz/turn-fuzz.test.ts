/**
 * The turn fuzzer (issue 17 item 9): odd but ordinary messages — every C0 and C1 control character,
 * NUL (refused), lone surrogates, the message-length boundaries (8,000 and 100,000 characters) and
 * the body limit, RTL text and bidi controls, combining marks, ZWJ emoji sequences, JSON, markdown,
 * tool-call and SSE lookalikes, very long single words — sent through real turns over the HTTP API
 * (real Temporal dev server, FerretDB, Redis and the offline model), eight chats of two apps at
 * once, each message asking the offline model to answer exactly its odd text
 * (`[[reply "<JSON string>"]]`, see test/support/odd-messages.ts).
 *
 * It must find 0 wedged chats (each answers a normal message after its odd ones), 0 lost or altered
 * messages beyond the documented transformations (each transcript read back through
 * `GET /v1/chats/:id/messages`, compared code point by code point), the streamed deltas (SSE) equal
 * to the stored reply for every turn, and the chat's counters (`GET /v1/chats/:id`) equal to the
 * transcript and to the usage of the turns.
 *
 * What "exactly" is: a caller's text is stored and returned as sent; a model's answer has NUL as
 * U+FFFD (design notes, "Text that reaches a store"). A lone surrogate (a UTF-16 half that is no
 * character) travels over HTTP as a JSON escape (`"\ud800"`, which `JSON.stringify` writes), but no
 * UTF-8 store can hold it: it comes back as U+FFFD, in the user's message, in the reply, in the
 * streamed deltas and in the POST's answer alike (`storedUserText`). The limits count UTF-16 code
 * units (an emoji outside the BMP counts 2).
 *
 * `npm test` runs a reduced pass (8 × 15 messages); `npm run fuzz:turns` the full one
 * (TESSERA_TURN_FUZZ=full: 8 × 128), printing the counts. TESSERA_TURN_FUZZ_SEED picks the seed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanosToUsd } from '../../src/domain/pricing';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { startApiStack } from '../support/api-stack';
import { TEMPLATES_DIR, type ChatKit } from '../support/chat-kit';
import { firstDifference, oddMessages, SCHEMA_MAX_CHARS, storedReplyText, storedUserText, type OddCase } from '../support/odd-messages';
import { openSse, type Frame, type SseClient } from '../support/stream-clients';

const FULL = process.env.TESSERA_TURN_FUZZ === 'full';
const SEED = Number(process.env.TESSERA_TURN_FUZZ_SEED ?? 17);
const CHATS = 8;
const PER_CHAT = FULL ? 128 : 15;
/** A POST that gets no answer in this long counts as a wedged chat (no timing is asserted). */
const WEDGED_MS = 120_000;
const APPS = ['fuzz-a', 'fuzz-b'];
/** Two templates: the schema's limit (100,000 characters) and the templates' default (8,000). */
const TEMPLATES = { 'fuzz-wide': SCHEMA_MAX_CHARS, 'fuzz-narrow': 8_000 } as const;
type TemplateName = keyof typeof TEMPLATES;

interface Stack {
  url: string;
  kit: ChatKit;
  adminKey: string;
  close(): Promise<void>;
}

let stack: Stack;
const appKeys: Record<string, string> = {};

/** The API on real services (test/support/api-stack.ts), with the fuzzer's two templates beside
 * the repository's own (a templates directory of its own). */
async function startStack(): Promise<Stack> {
  const templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'turn-fuzz-templates-'));
  for (const name of fs.readdirSync(TEMPLATES_DIR)) fs.cpSync(path.join(TEMPLATES_DIR, name), path.join(templatesDir, name), { recursive: true });
  const assistant = JSON.parse(fs.readFileSync(path.join(TEMPLATES_DIR, 'assistant', 'template.json'), 'utf8')) as Record<string, unknown>;
  for (const [name, maxInputChars] of Object.entries(TEMPLATES)) {
    fs.mkdirSync(path.join(templatesDir, name));
    const template = { ...assistant, name, description: 'The turn fuzzer: long echoes, no tools', max_output_tokens: 32_768, turn_token_budget: 10_000_000, max_input_chars: maxInputChars };
    fs.writeFileSync(path.join(templatesDir, name, 'template.json'), JSON.stringify(template, null, 2));
  }
  const api = await startApiStack({ label: 'turnfuzz', templatesDir });
  return {
    url: api.url,
    kit: api.kit,
    adminKey: api.adminKey,
    async close() {
      await api.close();
      fs.rmSync(templatesDir, { recursive: true, force: true });
    },
  };
}

async function call(method: string, route: string, key: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${stack.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(WEDGED_MS),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  stack = await startStack();
  for (const app of APPS) {
    const created = await call('POST', '/v1/apps', stack.adminKey, { app_id: app, name: app, tier: 'pro' });
    expect(created.status).toBe(201);
    appKeys[app] = created.json.api_key as string;
  }
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: number;
}

interface Message {
  seq: number;
  role: string;
  content: string;
  turn_id: string;
  status: string;
}

interface ChatResult {
  chat: number;
  sent: number;
  accepted: number;
  refused: Record<string, number>;
  streamedTurns: number;
  characters: number;
  failures: string[];
}

const ZERO: Usage = { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cost_usd: 0 };
const NORMAL = 'Hello after the fuzz, a normal message';

async function transcript(chatId: string, key: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (let after = 0; ; ) {
    const page = await call('GET', `/v1/chats/${chatId}/messages?after=${after}&limit=200`, key);
    if (page.status !== 200) throw new Error(`transcript: ${page.status} ${JSON.stringify(page.json)}`);
    messages.push(...(page.json.messages as Message[]));
    if (page.json.next_after === null) return messages;
    after = page.json.next_after as number;
  }
}

/** What the stream carried for one turn: its deltas after its last restart, and its ends. */
function streamedTurn(frames: Frame[], turnId: string): { deltas: string; completed: string[]; ended: string[] } {
  const own = frames.filter((frame) => frame.turn_id === turnId);
  const restarted = own.map((frame) => frame.type).lastIndexOf('turn.restarted');
  return {
    deltas: own.slice(restarted + 1).filter((frame) => frame.type === 'message.delta').map((frame) => String(frame.data.delta)).join(''),
    completed: own.filter((frame) => frame.type === 'message.completed').map((frame) => String(frame.data.content)),
    ended: own.filter((frame) => frame.type === 'turn.completed' || frame.type === 'turn.failed').map((frame) => frame.type),
  };
}

async function fuzzChat(chat: number): Promise<ChatResult> {
  const app = APPS[chat < CHATS / 2 ? 0 : 1] as string;
  const key = appKeys[app] as string;
  const template = (chat % 2 === 0 ? 'fuzz-wide' : 'fuzz-narrow') as TemplateName;
  const cases = oddMessages({ seed: SEED, chat, count: PER_CHAT, maxInputChars: TEMPLATES[template] });
  const result: ChatResult = { chat, sent: 0, accepted: 0, refused: {}, streamedTurns: 0, characters: 0, failures: [] };
  const fail = (item: OddCase | undefined, what: string) => result.failures.push(`chat ${chat} (${app}, ${template})${item ? ` case ${item.index} [${item.kind}]` : ''}: ${what}`);

  const session = await call('POST', '/v1/sessions', key, { template, user_id: `fuzz-user-${chat}` });
  if (session.status !== 200) throw new Error(`session: ${session.status} ${JSON.stringify(session.json)}`);
  const chatId = session.json.chat_id as string;
  const sse: SseClient = await openSse(`${stack.url}/v1/chats/${chatId}/events?access_token=${encodeURIComponent(key)}`);
  expect(sse.status).toBe(200);

  const expectedTurns: { item: OddCase; turnId: string; user: string; reply: string; usage: Usage }[] = [];
  const send = async (item: OddCase, turnId: string) => {
    result.sent++;
    result.characters += item.content.length;
    try {
      return await call('POST', `/v1/chats/${chatId}/messages`, key, { content: item.content, message_id: turnId });
    } catch (error) {
      fail(item, `no answer within ${WEDGED_MS / 1000} s (wedged): ${String(error)}`);
      return undefined;
    }
  };

  for (const item of cases) {
    const turnId = `f${chat}-${item.index}`;
    const answer = await send(item, turnId);
    if (!answer) return result;
    if (item.refusal) {
      const code = (answer.json.error as { code?: string } | undefined)?.code;
      if (answer.status !== item.refusal.status || code !== item.refusal.code) {
        fail(item, `expected ${item.refusal.status} ${item.refusal.code}, got ${answer.status} ${JSON.stringify(answer.json).slice(0, 300)}`);
      } else if (item.refusal.code === 'invalid_text' && !String((answer.json.error as { message?: string }).message).includes('content')) {
        fail(item, `invalid_text does not name the field: ${JSON.stringify(answer.json)}`);
      }
      result.refused[`${item.refusal.status} ${item.refusal.code}`] = (result.refused[`${item.refusal.status} ${item.refusal.code}`] ?? 0) + 1;
      continue;
    }
    if (answer.status !== 200) {
      fail(item, `expected 200, got ${answer.status} ${JSON.stringify(answer.json).slice(0, 300)}`);
      continue;
    }
    result.accepted++;
    const reply = storedReplyText(item.reply ?? '');
    const difference = firstDifference(reply, (answer.json.message as { content: string }).content);
    if (difference) fail(item, `POST answer: ${difference}`);
    if (answer.json.turn_id !== turnId) fail(item, `turn id ${String(answer.json.turn_id)}`);
    expectedTurns.push({ item, turnId, user: storedUserText(item.content), reply, usage: answer.json.usage as Usage });
  }

  // Not wedged: the chat answers a normal message after its odd ones.
  const normal: OddCase = { index: cases.length, kind: 'normal', content: NORMAL };
  const normalId = `f${chat}-normal`;
  const answered = await send(normal, normalId);
  if (!answered) return result;
  const normalReply = (answered.json.message as { content?: string } | undefined)?.content ?? '';
  if (answered.status !== 200 || !normalReply.startsWith(`Offline reply to: ${NORMAL}`)) {
    fail(normal, `the normal message got ${answered.status} ${JSON.stringify(answered.json).slice(0, 300)}`);
    return result;
  }
  result.accepted++;
  expectedTurns.push({ item: normal, turnId: normalId, user: NORMAL, reply: normalReply, usage: answered.json.usage as Usage });

  // Every turn is in the transcript, user and assistant, exactly; nothing else is.
  const messages = await transcript(chatId, key);
  const expectedMessages = expectedTurns.flatMap((turn) => [
    { turn, role: 'user', content: turn.user },
    { turn, role: 'assistant', content: turn.reply },
  ]);
  if (messages.length !== expectedMessages.length) {
    fail(undefined, `transcript has ${messages.length} messages, expected ${expectedMessages.length}: ${JSON.stringify(messages.map((m) => [m.turn_id, m.role]))}`);
  }
  expectedMessages.forEach((expected, i) => {
    const message = messages[i];
    if (!message) return;
    if (message.turn_id !== expected.turn.turnId || message.role !== expected.role || message.status !== 'complete') {
      fail(expected.turn.item, `message ${i}: expected ${expected.turn.turnId} ${expected.role} complete, got ${message.turn_id} ${message.role} ${message.status}`);
      return;
    }
    const difference = firstDifference(expected.content, message.content);
    if (difference) fail(expected.turn.item, `stored ${expected.role} message: ${difference}`);
  });
  if (messages.some((message, i) => i > 0 && message.seq <= (messages[i - 1] as Message).seq)) fail(undefined, 'transcript seqs are not increasing');

  // What the stream carried is what was stored, for every turn.
  await Promise.race([sse.untilEvent('turn.completed', normalId), new Promise((resolve) => setTimeout(resolve, WEDGED_MS))]);
  sse.close();
  if (sse.frames.some((frame) => frame.type === 'stream.truncated')) fail(undefined, 'the SSE stream was truncated');
  const stored = new Map(messages.filter((m) => m.role === 'assistant').map((m) => [m.turn_id, m.content]));
  for (const turn of expectedTurns) {
    const streamed = streamedTurn(sse.frames, turn.turnId);
    const content = stored.get(turn.turnId) ?? turn.reply;
    const difference = firstDifference(content, streamed.deltas);
    if (difference) fail(turn.item, `streamed deltas: ${difference}`);
    if (streamed.completed.length !== 1 || streamed.completed[0] !== content) fail(turn.item, `message.completed: ${streamed.completed.length} events, not the stored reply`);
    if (streamed.ended.join() !== 'turn.completed') fail(turn.item, `turn ended with ${streamed.ended.join() || 'nothing'} on the stream`);
    result.streamedTurns++;
  }

  // The counters equal the transcript and the turns' usage.
  const view = await call('GET', `/v1/chats/${chatId}`, key);
  const totals = view.json.totals as Usage;
  const sum = expectedTurns.reduce<Usage>(
    (total, turn) => ({
      input_tokens: total.input_tokens + turn.usage.input_tokens,
      output_tokens: total.output_tokens + turn.usage.output_tokens,
      cached_input_tokens: total.cached_input_tokens + turn.usage.cached_input_tokens,
      cost_usd: total.cost_usd + turn.usage.cost_usd,
    }),
    ZERO,
  );
  const completedTurns = new Set(messages.filter((m) => m.status === 'complete').map((m) => m.turn_id)).size;
  const failedTurns = new Set(messages.filter((m) => m.status === 'failed').map((m) => m.turn_id)).size;
  if (view.json.turn_count !== completedTurns || view.json.turn_count !== expectedTurns.length) {
    fail(undefined, `turn_count ${String(view.json.turn_count)}; the transcript has ${completedTurns} turns, ${expectedTurns.length} were answered`);
  }
  if (view.json.failed_turns !== failedTurns || failedTurns !== 0) fail(undefined, `failed_turns ${String(view.json.failed_turns)}, transcript ${failedTurns}`);
  for (const field of ['input_tokens', 'output_tokens', 'cached_input_tokens'] as const) {
    if (totals[field] !== sum[field]) fail(undefined, `totals.${field} ${totals[field]}, the turns' usage sums to ${sum[field]}`);
  }
  if (Math.abs(totals.cost_usd - sum.cost_usd) > 1e-6) fail(undefined, `totals.cost_usd ${totals.cost_usd}, the turns' usage sums to ${sum.cost_usd}`);
  // One LLM call per turn, each recorded once with the tokens the chat counts.
  const usageEvents = await tenantCollections(stack.kit.mongo, app).usageEvents.find({ chat_id: chatId });
  if (usageEvents.length !== expectedTurns.length || usageEvents.some((event) => event.status !== 'ok')) {
    fail(undefined, `${usageEvents.length} usage events (${usageEvents.filter((event) => event.status !== 'ok').length} not ok) for ${expectedTurns.length} turns`);
  }
  const eventTokens = usageEvents.reduce((total, event) => total + event.input_tokens + event.output_tokens, 0);
  if (eventTokens !== sum.input_tokens + sum.output_tokens) fail(undefined, `usage events hold ${eventTokens} tokens, the turns ${sum.input_tokens + sum.output_tokens}`);
  const eventCost = nanosToUsd(usageEvents.reduce((total, event) => total + event.cost_nanos, 0));
  if (totals.cost_usd !== eventCost) fail(undefined, `totals.cost_usd ${totals.cost_usd}, the usage events ${eventCost}`);
  return result;
}

describe('the turn fuzzer', () => {
  it(`sends ${CHATS} × ${PER_CHAT} odd messages through real turns (two apps, chats at once): nothing wedged, lost or altered; streams and counters agree`, async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: CHATS }, (_, chat) => fuzzChat(chat)));
    const failures = results.flatMap((r) => r.failures);
    const refused: Record<string, number> = {};
    for (const r of results) for (const [code, n] of Object.entries(r.refused)) refused[code] = (refused[code] ?? 0) + n;
    const total = (pick: (r: ChatResult) => number) => results.reduce((sum, r) => sum + pick(r), 0);
    console.log(
      [
        `turn fuzz (${FULL ? 'full' : 'reduced'} pass, seed ${SEED}): ${total((r) => r.sent)} messages (${total((r) => r.characters)} characters) over ${CHATS} chats of ${APPS.length} apps in ${Math.round((Date.now() - started) / 1000)} s`,
        `  ${total((r) => r.accepted)} answered (each chat's last a normal message), refused: ${Object.entries(refused).map(([code, n]) => `${n} × ${code}`).join(', ')}`,
        `  ${total((r) => r.streamedTurns)} streamed turns compared with the stored reply; ${failures.length} failures; ${results.filter((r) => r.failures.some((f) => f.includes('wedged'))).length} wedged chats`,
      ].join('\n'),
    );
    expect(failures.slice(0, 30)).toEqual([]);
    expect(total((r) => r.sent)).toBe(CHATS * (PER_CHAT + 1));
  }, FULL ? 1_800_000 : 600_000);
});
