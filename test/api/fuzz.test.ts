/**
 * A generated fuzz of every route in the served OpenAPI document (new routes are picked up on their
 * own), over real HTTP against real Temporal, FerretDB, Redis and the offline model: malformed
 * JSON, wrong types, missing and extra fields, bodies up to and over the limit, odd unicode, bad
 * ids, odd queries, headers and methods, with no credential, the admin key, an app key, another
 * app's key or a runtime token. No answer may be a 5xx, every 4xx is in the error shape, and the
 * server still serves a normal chat afterwards.
 *
 * Reproducible: the cases come from SEED alone (printed). To replay one failure, set ONLY to its
 * case number; to explore, change SEED.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_BODY_LIMIT } from '../../src/api/server';
import { errorShapeProblem } from '../support/api-errors';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { openTestClickHouse } from '../analytics/support';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { uniqueName } from '../support/services';
import { describeCase, FUZZ_KINDS, generateCase, operationsOf, Rng, type FuzzCase, type FuzzTarget, type Operation } from '../support/fuzz-cases';

const SEED = 20_240_611;
const CASES = 1_500;
const ONLY: number | undefined = undefined;
const CONCURRENCY = 8;

/** Routes the OpenAPI document cannot describe (@fastify/websocket hides WebSocket routes from it). */
const UNDESCRIBED: Operation[] = [
  { method: 'GET', path: '/v1/chats/{chat_id}/ws', pathParams: ['chat_id'], query: [{ name: 'after', schema: {} }, { name: 'access_token', schema: {} }] },
];

/** Routes whose valid requests this file can build: each must succeed at least once. */
const CORE_ROUTES = [
  'GET /api/health',
  'POST /v1/apps',
  'GET /v1/apps/{app_id}',
  'PATCH /v1/apps/{app_id}',
  'POST /v1/apps/{app_id}/keys/rotate',
  'POST /v1/sessions',
  'GET /v1/chats',
  'GET /v1/chats/{chat_id}',
  'POST /v1/chats/{chat_id}/messages',
  'GET /v1/chats/{chat_id}/messages',
  'POST /v1/chats/{chat_id}/cancel',
  'POST /v1/chats/{chat_id}/close',
  'GET /v1/chats/{chat_id}/events',
];

/** Requests left out on purpose, each a reported bug to fix (then delete the entry). */
const KNOWN_ISSUES: FuzzTarget['knownIssues'] = {};

let stack: ApiStack;
let clickhouse: ClickHouseStore;
let operations: Operation[];
let documented: string[];
let cases: FuzzCase[];
let target: FuzzTarget;
let appKey: string;

async function openSession(chatId: string, userId = 'fuzz-user'): Promise<string> {
  const response = await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: userId, chat_id: chatId } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { runtime_token: string }).runtime_token;
}

beforeAll(async () => {
  stack = await startApiStack({ label: 'fuzz' });
  // The analytics, ETL and erasure routes need ClickHouse: give this API one, as the launcher does.
  clickhouse = await openTestClickHouse('fuzz');
  stack.runtime.analytics = { clickhouse, pseudonymize: pseudonymizer('fuzz-pseudonym-key-0123456789'), gridGramsPerKwh: 400, taskQueue: uniqueName('fuzz-analytics') };
  appKey = await stack.createApp('fuzz', { tier: 'enterprise' });
  const otherKey = await stack.createApp('fuzz-other');
  await stack.createApp('fuzz-target');
  const runtimeToken = await openSession('fuzz-main');
  await openSession('fuzz-closable');
  await openSession('fuzz-someone-else', 'fuzz-user-2');

  const document = await stack.call('GET', '/v1/openapi.json');
  expect(document.status).toBe(200);
  const described = operationsOf((await document.json()) as Parameters<typeof operationsOf>[0]);
  documented = described.map((operation) => `${operation.method} ${operation.path}`);
  operations = [...described, ...UNDESCRIBED.filter((operation) => !documented.includes(`${operation.method} ${operation.path}`))];
  target = {
    credentials: {
      none: undefined,
      admin: `Bearer ${stack.adminKey}`,
      app: `Bearer ${appKey}`,
      'other-app': `Bearer ${otherKey}`,
      runtime: `Bearer ${runtimeToken}`,
    },
    values: {
      app_id: ['fuzz-target'],
      chat_id: ['fuzz-main', 'fuzz-main', 'fuzz-someone-else'],
      user_id: ['fuzz-user'],
      template: ['assistant'],
      content: ['hello fuzz'],
      message_id: (index: number) => `fz-msg-${index}`,
      name: ['Fuzz app'],
      after: ['0-0', '1-0'],
      access_token: [runtimeToken, 'not-a-token'],
    },
    overrides: {
      // A new app per case, and closes only on a chat kept for that (the others keep taking turns).
      'POST /v1/apps': { app_id: (index: number) => `fz-app-${index}` },
      'POST /v1/chats/{chat_id}/close': { chat_id: ['fuzz-closable'] },
    },
    bodyLimit: DEFAULT_BODY_LIMIT,
    knownIssues: KNOWN_ISSUES,
  };
  const indexes = ONLY === undefined ? Array.from({ length: CASES }, (_, index) => index) : [ONLY];
  cases = indexes.map((index) => generateCase(SEED, index, operations, target));
});

afterAll(async () => {
  await stack?.close();
  await clickhouse?.close();
});

interface Outcome {
  fuzzCase: FuzzCase;
  status?: number;
  problem?: string;
}

async function runCase(fuzzCase: FuzzCase): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(`${stack.url}${fuzzCase.url}`, {
      method: fuzzCase.method,
      headers: fuzzCase.headers,
      ...(fuzzCase.body !== undefined ? { body: fuzzCase.body } : {}),
      redirect: 'manual',
      // Not a timing assertion: a request the server never answers is a hang, reported as one.
      signal: AbortSignal.timeout(45_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { fuzzCase, problem: `no response: ${(error as Error).message} ${cause?.code ?? cause?.message ?? ''}` };
  }
  const { status } = response;
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { fuzzCase, status, ...(status >= 400 ? { problem: `${status} as an event stream` } : {}) };
  }
  const text = await response.text();
  if (status >= 500) return { fuzzCase, status, problem: `${status}: ${text.slice(0, 300)}` };
  // Authentication comes before the body is read: an oversized body from a caller the route does
  // not admit is refused as that (401/403), not as too large.
  const refusedFirst = fuzzCase.expectStatus === 413 && (status === 401 || status === 403);
  if (fuzzCase.expectStatus !== undefined && status !== fuzzCase.expectStatus && !refusedFirst) {
    return { fuzzCase, status, problem: `expected ${fuzzCase.expectStatus}, got ${status}: ${text.slice(0, 300)}` };
  }
  if (status >= 400 && fuzzCase.method.toUpperCase() !== 'HEAD') {
    const type = response.headers.get('content-type') ?? '';
    let problem = type.startsWith('application/json') ? undefined : `content-type '${type}'`;
    if (!problem) {
      try {
        problem = errorShapeProblem(JSON.parse(text));
      } catch {
        problem = 'body is not JSON';
      }
    }
    if (problem) return { fuzzCase, status, problem: `${status} not in the error shape (${problem}): ${text.slice(0, 300)}` };
  }
  return { fuzzCase, status };
}

async function runAll(all: FuzzCase[], concurrency: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const fuzzCase = all[next++] as FuzzCase;
      outcomes.push(await runCase(fuzzCase));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes.sort((a, b) => a.fuzzCase.index - b.fuzzCase.index);
}

function tally(outcomes: Outcome[], key: (outcome: Outcome) => string): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(key(outcome), (counts.get(key(outcome)) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => `${name}=${count}`).join(' ');
}

describe('fuzz', () => {
  it('answers every generated request with no 5xx, and every 4xx in the error shape', async () => {
    const routes = operations.map((operation) => `${operation.method} ${operation.path}`);
    // The document really lists the API (a broken document would fuzz nothing).
    expect(documented).toEqual(expect.arrayContaining(CORE_ROUTES));
    console.log(`fuzz: seed ${SEED}, ${cases.length} cases over ${routes.length} routes (concurrency ${CONCURRENCY})\n  ${routes.join('\n  ')}`);
    for (const [route, issue] of Object.entries(KNOWN_ISSUES ?? {})) console.log(`fuzz: not sent (known issue): ${issue.methods.join(',')} on ${route}: ${issue.reason}`);

    const outcomes = await runAll(cases, CONCURRENCY);
    console.log(`fuzz statuses: ${tally(outcomes, (outcome) => String(outcome.status ?? 'none'))}`);
    console.log(`fuzz kinds: ${tally(outcomes, (outcome) => outcome.fuzzCase.kind)}`);
    const failures = outcomes.filter((outcome) => outcome.problem !== undefined);
    for (const failure of failures.slice(0, 30)) console.error(`FUZZ FAILURE ${failure.problem}\n${describeCase(SEED, failure.fuzzCase)}`);
    expect(failures.map((failure) => `#${failure.fuzzCase.index} ${failure.fuzzCase.kind} ${failure.fuzzCase.operation}: ${failure.problem?.slice(0, 160)}`)).toEqual([]);

    if (ONLY === undefined) {
      expect(outcomes).toHaveLength(CASES);
      expect(new Set(outcomes.map((outcome) => outcome.fuzzCase.kind))).toEqual(new Set(FUZZ_KINDS));
      // The fuzz reached past validation and authentication, not only refusals: every chat API
      // route answered some case with success (routes that need ids this file cannot know, like a
      // pack's, are still fuzzed for 5xx and the error shape; they are listed).
      const accepted = new Set(outcomes.filter((outcome) => outcome.status !== undefined && outcome.status < 300).map((outcome) => outcome.fuzzCase.operation));
      console.log(`fuzz: routes with no successful case: ${documented.filter((route) => !accepted.has(route)).join(', ') || 'none'}`);
      expect(CORE_ROUTES.filter((route) => !accepted.has(route))).toEqual([]);
      expect(outcomes.filter((outcome) => outcome.status === 413).length).toBeGreaterThan(0);
    }
  });

  it('upgrades a WebSocket only for a credential that reaches the chat, and answers every other handshake over HTTP in the error shape', async () => {
    // Chats of its own, which no fuzz case above could have made in another app.
    const credentials: Record<string, string | undefined> = {
      ...target.credentials,
      runtime: `Bearer ${await openSession('ws-main')}`,
      'runtime-other-chat': target.credentials.runtime,
    };
    await openSession('ws-someone-else', 'fuzz-user-2');
    const rng = new Rng(SEED);
    const chats = ['ws-main', 'ws-someone-else', 'ws-missing', 'x'.repeat(129), 'x'.repeat(201), '%zz', 'ws-main/nothing'];
    const openConnections = () => new Promise<number>((resolve, reject) => stack.api.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    const before = await openConnections();
    const positions = [undefined, '0-0', 'abc', '18446744073709551616-0'];
    const problems: string[] = [];
    let upgrades = 0;
    for (let index = 0; index < 80; index++) {
      const chat = rng.pick(chats);
      const credential = rng.pick(Object.keys(credentials));
      const after = rng.pick(positions);
      const inQuery = rng.chance(0.5);
      const authorization = credentials[credential];
      const query = new URLSearchParams({
        ...(after !== undefined ? { after } : {}),
        ...(inQuery && authorization ? { access_token: authorization.replace(/^Bearer /, '') } : {}),
      }).toString();
      const url = `${stack.url.replace(/^http/, 'ws')}/v1/chats/${chat}/ws${query ? `?${query}` : ''}`;
      const outcome = await handshake(url, !inQuery && authorization ? { authorization } : {});
      const reaches = (credential === 'app' && ['ws-main', 'ws-someone-else'].includes(chat)) || (credential === 'runtime' && chat === 'ws-main');
      const shouldUpgrade = reaches && (after === undefined || after === '0-0');
      const label = `seed ${SEED} ws #${index}: ${credential}${inQuery ? ' (query)' : ''} chat=${chat.slice(0, 20)} after=${after}`;
      if (outcome.upgraded) upgrades++;
      if (outcome.upgraded !== shouldUpgrade) problems.push(`${label}: ${outcome.upgraded ? 'upgraded' : `refused ${outcome.status}`}, expected ${shouldUpgrade ? 'an upgrade' : 'a refusal'}`);
      if (!outcome.upgraded) {
        const shape = outcome.status >= 500 ? `status ${outcome.status}` : errorShapeProblem(outcome.body);
        if (shape) problems.push(`${label}: ${outcome.status} ${shape}`);
      }
    }
    expect(problems).toEqual([]);
    expect(upgrades).toBeGreaterThan(0);
    // Every handshake's socket is closed in the end, refused or not (a socket left open leaks and
    // keeps the server from closing). Polled: closing takes a few round trips.
    let open = await openConnections();
    for (let attempt = 0; attempt < 100 && open > before; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      open = await openConnections();
    }
    expect(open, 'server connections left open by WebSocket handshakes').toBeLessThanOrEqual(before);
  });

  it('leaves the server healthy: health answers and a normal chat turn round-trips', async () => {
    expect((await stack.call('GET', '/api/health')).status).toBe(200);
    const key = await stack.createApp('fuzz-after');
    const session = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: 'after-user' } });
    expect(session.status).toBe(200);
    const { chat_id: chatId, runtime_token: token } = (await session.json()) as { chat_id: string; runtime_token: string };
    const turn = await stack.call('POST', `/v1/chats/${chatId}/messages`, { key: token, body: { content: 'still there after the fuzz?' } });
    expect(turn.status).toBe(200);
    expect(((await turn.json()) as { message: { content: string } }).message.content).toMatch(/^Offline reply to: still there after the fuzz\?/);
    const transcript = (await (await stack.call('GET', `/v1/chats/${chatId}/messages`, { key })).json()) as { messages: { role: string }[] };
    expect(transcript.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
  });
});

type Handshake = { upgraded: true } | { upgraded: false; status: number; body: unknown };

/** Opens a WebSocket and closes it at once, or reads the HTTP answer that refused it. */
function handshake(url: string, headers: Record<string, string>): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => {
      socket.close();
      resolve({ upgraded: true });
    });
    socket.on('unexpected-response', (request, response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        request.destroy();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: reported as not in the error shape
        }
        resolve({ upgraded: false, status: response.statusCode ?? 0, body });
      });
    });
    socket.on('error', (error) => reject(error));
  });
}
