/**
 * The README's "Use the API" examples run as written against a fresh embedded stack (what
 * `npm start` runs), in bash, with the API address and admin key the stack printed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type RunningStack } from '../src/dev/stack';
import { embeddedConfig, REPO_ROOT } from './support/embedded-config';
import { quietRuntime } from './support/temporal';

const run = promisify(execFile);
let dataDir: string;
let stack: RunningStack;

beforeAll(async () => {
  quietRuntime();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-readme-'));
  stack = await startStack(await embeddedConfig(dataDir), pino({ level: 'silent' }));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The shell blocks between the README's readme-test markers. */
function readmeScript(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /<!-- readme-test:start -->([\s\S]*?)<!-- readme-test:end -->/.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no readme-test section');
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  if (blocks.length === 0) throw new Error('the readme-test section has no sh block');
  return blocks.join('\n');
}

it('runs the README curl examples as written', async () => {
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', readmeScript()], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', API: stack.apiUrl, ADMIN_KEY: stack.adminKey },
    timeout: 60_000,
  });
  // The reply to the first message, with its usage.
  expect(stdout).toMatch(/"turn_id":"m-1","message":\{"role":"assistant","content":"[^"]+"/);
  expect(stdout).toContain('"cost_usd"');
  // The 202 of the message sent without waiting.
  expect(stdout).toMatch(/"status":"accepted"/);
  // The live events of the chat, as SSE.
  expect(stdout).toMatch(/^event: turn\.completed$/m);
  expect(stdout).toMatch(/^id: \d+-\d+$/m);
  // The user's chat list.
  expect(stdout).toMatch(/"chats":\[\{"chat_id":"c_/);
}, 120_000);
