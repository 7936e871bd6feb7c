/**
 * Schemathesis, the property-based API fuzzer, driven by Tessera's own OpenAPI document against a
 * real API (real Temporal, FerretDB, Redis, chDB and the offline model): every described operation,
 * with the admin key, an app key, a runtime token and no credential, positive and negative data. It must find
 * 0 responses ≥ 500 and 0 responses outside the document (status, content type, headers, body
 * schema), and the API must still serve a normal chat afterwards.
 *
 * `npm test` runs a reduced pass; `npm run fuzz` the full one (≥ 5,000 requests over every route),
 * printing the counts. Generation is deterministic, so a failure replays
 * (`st replay <id>` as the report says); each run's full report is kept under .data/schemathesis/.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { NotifyKeys } from '../../src/domain/ops/notify-crypto';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { openTestClickHouse } from '../analytics/support';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { services, uniqueName } from '../support/services';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMATHESIS = path.join(ROOT, '.tools/venv/bin/schemathesis');
// What this suite asserts: no server error, and nothing the document does not describe.
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];
// `npm run fuzz` (TESSERA_FUZZ=full): every phase (examples, coverage of each schema constraint,
// random fuzzing, stateful sequences) with 50 examples per operation; `npm test`: fuzzing and
// stateful sequences with 5.
const FULL = process.env.TESSERA_FUZZ === 'full';
const EXAMPLES = FULL ? 50 : 5;
const PHASES = FULL ? 'examples,coverage,fuzzing,stateful' : 'fuzzing,stateful';
// More Schemathesis options for exploring, e.g. TESSERA_FUZZ_OPTIONS='--max-response-time 5'.
const OPTIONS = (process.env.TESSERA_FUZZ_OPTIONS ?? '').split(' ').filter(Boolean);

let stack: ApiStack;
let clickhouse: ClickHouseStore;
let appKey: string;
let runtimeToken: string;
let reportDir: string;

beforeAll(async () => {
  stack = await startApiStack({ label: 'schemathesis' });
  clickhouse = await openTestClickHouse('schemathesis');
  stack.runtime.analytics = { clickhouse, pseudonymize: pseudonymizer('schemathesis-pseudonym-key-0123'), gridGramsPerKwh: 400, taskQueue: uniqueName('st-analytics') };
  // Fully configured, as the launcher is: channel secrets and decision links need the notification key.
  stack.runtime.notify = { keys: new NotifyKeys('schemathesis-notify-key-0123456789abcdef') };
  appKey = await stack.createApp('st-app', { tier: 'enterprise' });
  const session = await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: 'st-user', chat_id: 'st-chat' } });
  expect(session.status).toBe(200);
  runtimeToken = ((await session.json()) as { runtime_token: string }).runtime_token;
  reportDir = fs.mkdtempSync(path.join(services().runDir, 'schemathesis-'));
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await clickhouse?.close();
});

interface Run {
  code: number | null;
  output: string;
  cases: number;
}

/** One Schemathesis run as a credential; `cases` is its own count of generated test cases. */
function schemathesis(label: string, authorization: string | undefined, extra: string[] = []): Promise<Run> {
  const args = [
    'run',
    `${stack.url}/v1/openapi.json`,
    '--url',
    stack.url,
    '--checks',
    CHECKS.join(','),
    '--phases',
    PHASES,
    '--max-examples',
    String(EXAMPLES),
    '--generation-deterministic',
    '--no-shrink',
    '--workers',
    '2',
    '--request-timeout',
    '30',
    '--continue-on-failure',
    ...(authorization ? ['-H', `Authorization: ${authorization}`] : []),
    ...extra,
    ...OPTIONS,
  ];
  const child = spawn(SCHEMATHESIS, args, { cwd: reportDir, env: { PATH: process.env.PATH ?? '', HOME: reportDir, NO_COLOR: '1' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      const cases = Number(/Test cases:\s+(\d+) generated/.exec(output)?.[1] ?? 0);
      resolve({ code, output, cases });
    });
  });
}

/**
 * Python 3.11's `ast.parse` can fail deep inside Hypothesis ("AST constructor recursion depth
 * mismatch", a CPython bug fixed in 3.12). The setup script picks Python 3.12+ where the machine has
 * one; where it has only 3.11, a run whose every problem is that error says nothing about the API.
 * True only then: no failure found, and every error block is that one.
 */
function onlyPythonAstErrors(output: string): boolean {
  if (/^Failures:/m.test(output)) return false;
  const errors = /={3,} ERRORS ={3,}([\s\S]*?)(?:={3,} (?:FAILURES|WARNINGS|SUMMARY) ={3,})/.exec(output)?.[1] ?? '';
  const blocks = errors.split(/^_{3,} .+ _{3,}$/m).slice(1);
  return blocks.length > 0 && blocks.every((block) => /AST constructor recursion depth mismatch/.test(block));
}

const totals = { cases: 0, failed: 0 };

describe.skipIf(!fs.existsSync(SCHEMATHESIS))('Schemathesis against the OpenAPI document', () => {
  afterAll(() => {
    console.log(`schemathesis: ${totals.cases} test cases over 4 credentials, ${totals.failed} failing run(s)`);
  });

  // With the runtime token, a live-events request for its own chat opens a stream that lasts until
  // the client leaves, which Schemathesis (reading every body to its end) cannot do: those two
  // routes are fuzzed with the other credentials, and test/api/fuzz.test.ts and streams.test.ts
  // drive the open streams.
  const streams = ['--exclude-path-regex', '/(events|ws)$'];
  for (const [label, credential, extra] of [
    ['admin key', () => `Bearer ${stack.adminKey}`, []],
    ['app key', () => `Bearer ${appKey}`, []],
    ['runtime token', () => `Bearer ${runtimeToken}`, streams],
    ['no credential', () => undefined, []],
  ] as const) {
    it(`finds no server error and no undocumented response (${label})`, async () => {
      const run = await schemathesis(label.replace(/ /g, '-'), credential(), [...extra]);
      // The whole report stays under .data/ for reading after the run.
      const saved = path.join(ROOT, '.data', 'schemathesis', `${label.replace(/ /g, '-')}.txt`);
      fs.mkdirSync(path.dirname(saved), { recursive: true });
      fs.writeFileSync(saved, run.output);
      console.log(`schemathesis (${label}): ${run.cases} test cases, exit ${run.code} (report: ${path.relative(ROOT, saved)})`);
      totals.cases += run.cases;
      if (run.code !== 0) totals.failed += 1;
      expect(run.cases).toBeGreaterThan(0);
      if (run.code !== 0 && onlyPythonAstErrors(run.output)) {
        console.warn(`schemathesis (${label}): only Python 3.11's ast.parse bug inside Hypothesis, not the API's; use Python 3.12+ (the setup script prefers it)`);
        return;
      }
      expect(run.code).toBe(0);
    }, 1_800_000);
  }

  it('still serves a normal chat afterwards', async () => {
    // A new app: the admin key's fuzzing may have legitimately paused st-app or rotated its key
    // (GET /v1/apps hands its id to the stateful phase).
    const afterKey = await stack.createApp('st-after-app', { tier: 'enterprise' });
    const session = await stack.call('POST', '/v1/sessions', { key: afterKey, body: { template: 'assistant', user_id: 'st-user', chat_id: 'st-after' } });
    expect(session.status).toBe(200);
    const sent = await stack.call('POST', '/v1/chats/st-after/messages', { key: afterKey, body: { content: 'hello after the fuzz', message_id: 'st-after-1' } });
    expect(sent.status).toBeLessThan(300);
  });
});
