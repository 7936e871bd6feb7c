/**
 * `npm start`'s output, from the real launcher process (`src/dev/main.ts` compiled to JavaScript by
 * scripts/compile-start.sh, as `npm start` runs it) on a fresh data
 * directory with one worker process: short pretty lines and the status block on the terminal, no
 * workflow-bundler listing; the full JSON records — the bundler's listing among them — in
 * `<data dir>/logs/tessera.log`. A worker process that dies shows as one error line.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/child-service';
import { REPO_ROOT } from '../support/embedded-config';

const COMPILE_CACHE = path.join(REPO_ROOT, 'dist/start/.node-compile-cache');

type LogRecord = Record<string, unknown> & { level: number; msg: string };

/** A terminal line for a record: `[hh:mm:ss] LEVEL (source): message`. */
const RECORD_LINE = /^\[\d\d:\d\d:\d\d\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \(/;
const BUNDLER_LISTING = /orphan modules|runtime modules|\[emitted\]|webpack [\d.]+ compiled|\.\/src\/workflows\//;

describe('the launcher output', () => {
  let dataDir: string;
  let launcher: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exited: Promise<void>;

  const logFile = () => path.join(dataDir, 'logs', 'tessera.log');
  const records = (): LogRecord[] =>
    fs.readFileSync(logFile(), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as LogRecord);
  const terminalLines = () => stripVTControlCharacters(stdout).split('\n');
  const waitFor = async (what: string, done: () => boolean, ms = 30_000) => {
    for (const deadline = Date.now() + ms; !done(); await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`no ${what} in time; stdout:\n${stdout}\nstderr:\n${stderr}`);
    }
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-launcher-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.homedir(),
      TESSERA_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      TESSERA_LOG_FORMAT: 'pretty',
      TESSERA_WORKER_PROCESSES: '1',
      TESSERA_OPS_FAST_LOOP: 'off',
      // A model nothing answers at: a chat turn's LLM activity fails (a real activity failure).
      OPENAI_BASE_URL: `http://127.0.0.1:${await freePort()}/v1`,
      OPENAI_API_KEY: 'sk-nobody-answers',
    };
    for (const key of ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'FERRETDB_PORT', 'REDIS_PORT', 'OFFLINE_MODEL_PORT']) env[key] = String(await freePort());
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/compile-start.sh')], { stdio: 'inherit' });
    fs.rmSync(COMPILE_CACHE, { recursive: true, force: true }); // this start must write it
    launcher = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/start/src/dev/main.js')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, to clean up after a failed test
    });
    exited = new Promise((resolve) => launcher.once('exit', () => resolve()));
    launcher.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('status block', () => stdout.includes('Press Ctrl-C to stop.') || launcher.exitCode !== null, 150_000);
    if (launcher.exitCode !== null) throw new Error(`the launcher exited (${launcher.exitCode}); stdout:\n${stdout}\nstderr:\n${stderr}`);
  });

  afterAll(async () => {
    if (launcher?.exitCode === null) {
      launcher.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
    }
    try {
      if (launcher?.pid) process.kill(-launcher.pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints short record lines and the status block, and no bundler listing before it', () => {
    const before = terminalLines().slice(0, terminalLines().indexOf('Tessera is up.'));
    expect(before.length).toBeGreaterThan(0);
    expect(stdout).toContain(`  Logs:           ${logFile()}`);
    for (const line of before.filter((text) => text !== '')) {
      expect(line).toMatch(RECORD_LINE);
      expect(line.length).toBeLessThan(300);
    }
    expect(before.join('\n')).not.toMatch(BUNDLER_LISTING);
    expect(stderr).not.toMatch(BUNDLER_LISTING);
    expect(before.some((line) => /INFO \(tessera-worker\[\d+\]\): worker process polling task_queue=tessera-chat$/.test(line))).toBe(true);
  });

  it('serves the built console from the compiled code as from the sources', async () => {
    const api = /API: +(http:\S+)/.exec(stripVTControlCharacters(stdout))?.[1];
    const page = await fetch(`${api}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');
  });

  it('leaves V8 code for the next start in the compiled build\'s compile cache once up', () => {
    // Node.js files the cache in a folder per V8 version; entries are one file per module.
    const entries = fs.readdirSync(COMPILE_CACHE, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(entries.length).toBeGreaterThan(100);
  });

  it('files the full JSON records, the bundler listing among them', async () => {
    const filed = records();
    await sleep(500); // the terminal lines of the records filed so far have arrived
    const bundler = filed.filter((record) => record.component === 'workflow-bundler');
    expect(bundler.map((record) => record.msg).join('\n')).toMatch(BUNDLER_LISTING);
    expect(filed.find((record) => record.msg === 'worker process polling')).toMatchObject({ level: 30, service: 'tessera-worker', task_queue: 'tessera-chat', pid: expect.any(Number), time: expect.any(Number) });
    expect(filed.find((record) => record.msg === 'ops monitor in place')).toMatchObject({ level: 30, service: 'tessera', schedule: 'tessera-ops-monitor' });
    // Every record but the bundler's detail has its one line on the terminal.
    const shown = terminalLines().filter((line) => RECORD_LINE.test(line));
    const others = filed.filter((record) => record.component !== 'workflow-bundler');
    expect(shown.length).toBeGreaterThanOrEqual(others.length);
    for (const record of others) expect(shown.some((line) => line.includes(record.msg))).toBe(true);
  });

  it("shows a chat's failing LLM activity as one warning line, the full record (task token, stack) in the file", async () => {
    const api = /API: +(http:\/\/\S+)/.exec(stdout)![1]!;
    const adminKey = /Admin key: +(\S+)/.exec(stdout)![1]!;
    const post = async (route: string, key: string, body: object) => {
      const response = await fetch(`${api}${route}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status, await response.clone().text()).toBeLessThan(300);
      return (await response.json()) as Record<string, string>;
    };
    const app = await post('/v1/apps', adminKey, { app_id: 'log-app', name: 'Logs', tier: 'pro' });
    const session = await post('/v1/sessions', app.api_key!, { template: 'researcher', user_id: 'alice' });
    await post(`/v1/chats/${session.chat_id}/messages?wait=false`, app.api_key!, { content: 'Hello' });

    await waitFor('activity failure line', () => /WARN \(tessera-worker\[\d+\]\/temporal\): Activity failed/.test(stripVTControlCharacters(stdout)), 60_000);
    const line = terminalLines().find((text) => / WARN .*Activity failed/.test(text))!;
    expect(line.replace(logFile(), '.data/logs/tessera.log').length, line).toBeLessThan(300);
    expect(line).toMatch(/ — ApplicationFailure: .+ \(full record: /);
    expect(line).not.toContain('    at ');
    await waitFor('activity failure record', () => records().some((record) => record.msg === 'Activity failed'));
    const record = records().find((entry) => entry.msg === 'Activity failed')!;
    expect(record).toMatchObject({ level: 40, service: 'tessera-worker', component: 'temporal', taskToken: expect.any(String), err: { type: 'ApplicationFailure' } });
    expect(line).not.toContain(record.taskToken as string);
    expect((record.err as { stack: string }).stack).toContain('    at ');
  });

  it('shows a worker process that dies as one error line, its full record in the file', async () => {
    const worker = records().find((record) => record.msg === 'worker process polling');
    process.kill(worker!.pid as number, 'SIGKILL');
    await waitFor('error line', () => / ERROR \(tessera\): a worker process stopped/.test(stripVTControlCharacters(stdout)));
    const line = terminalLines().find((text) => text.includes('a worker process stopped'))!;
    expect(line).toMatch(/ERROR \(tessera\): a worker process stopped task_queue=tessera-chat — Error: worker process \d+ exited \(code null, signal SIGKILL\) \(full record: /);
    expect(line).toContain(`(full record: ${logFile()})`);
    expect(line).not.toContain('    at ');
    await waitFor('error record', () => records().some((record) => record.msg === 'a worker process stopped'));
    const record = records().find((entry) => entry.msg === 'a worker process stopped')!;
    expect(record).toMatchObject({ level: 50, task_queue: 'tessera-chat', err: { type: 'Error', message: expect.stringMatching(/signal SIGKILL/) } });
    expect((record.err as { stack: string }).stack).toContain('    at ');
  });
});

describe('a launcher that cannot start', () => {
  it('says why in one line on stderr and files the record with its stack', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-launcher-fail-'));
    try {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.homedir(),
        TESSERA_DATA_DIR: path.join(dir, 'data'),
        TESSERA_TOOLS_DIR: path.join(dir, 'no-tools'), // no Temporal CLI there
        TESSERA_LOG_FORMAT: 'pretty',
      };
      for (const key of ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'FERRETDB_PORT', 'REDIS_PORT', 'OFFLINE_MODEL_PORT']) env[key] = String(await freePort());
      const launcher = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/dev/main.ts')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      launcher.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      launcher.stdout.resume();
      const code = await new Promise<number | null>((resolve) => launcher.once('exit', resolve));
      const file = path.join(dir, 'data', 'logs', 'tessera.log');
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^tessera: start-up failed: Temporal CLI not found at [^\\n]+ \\(stack: ${file.replace(/[.]/g, '\\.')}\\)\\n$`));
      const records = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as LogRecord);
      const failure = records.find((record) => record.msg === 'start-up failed');
      expect(failure).toMatchObject({ level: 50, err: { type: 'Error', message: expect.stringContaining('Temporal CLI not found') } });
      expect((failure!.err as { stack: string }).stack).toContain('    at ');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
