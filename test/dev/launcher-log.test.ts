/**
 * The launcher's log routing on real pino records: the file holds every record in full, the
 * terminal one short line (or the JSON record when it is not a terminal or JSON is asked for).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { openLauncherLog, type LauncherLogOptions } from '../../src/dev/launcher-log';
import { temporalLogger } from '../../src/telemetry/logging';

function terminal(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, write: (chunk: string) => lines.push(...stripVTControlCharacters(chunk).split('\n').filter((line) => line !== '')) > 0, isTTY };
}

function fileRecords(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the launcher log', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-launcher-log-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const open = (options: Partial<LauncherLogOptions> & { terminal: ReturnType<typeof terminal> }) =>
    openLauncherLog({ dataDir, level: 'info', format: 'auto', ...options });

  it('shows an activity failure as one short line and files the full record', () => {
    const screen = terminal(true);
    const logs = open({ terminal: screen, format: 'pretty' });
    const failure = ApplicationFailure.retryable('model timed out after 30 s\nupstream said: 504', 'LlmTimeout');
    temporalLogger(logs.log, 'WARN').warn('Activity failed', {
      error: failure,
      taskToken: 'Q'.repeat(1200),
      activityType: 'callModel',
      workflowId: 'chat:acme:c1',
      attempt: 2,
      durationMs: 30012,
    });

    expect(screen.lines).toHaveLength(1);
    const line = screen.lines[0]!;
    expect(line.length).toBeLessThan(300);
    expect(line).toMatch(/WARN/);
    expect(line).toContain('Activity failed');
    expect(line).toContain('ApplicationFailure: model timed out after 30 s');
    expect(line).toContain('activityType=callModel');
    expect(line).toContain(`full record: ${logs.file}`);
    expect(line).not.toContain('QQQQ');
    expect(line).not.toContain('    at ');

    const [record] = fileRecords(logs.file);
    expect(record).toMatchObject({ level: 40, msg: 'Activity failed', service: 'tessera', component: 'temporal', taskToken: 'Q'.repeat(1200), attempt: 2 });
    expect((record!.err as { stack: string }).stack).toContain('    at ');
  });

  it('keeps detail records (the bundler listing) in the file only, unless LOG_LEVEL is debug', () => {
    const screen = terminal(true);
    const logs = open({ terminal: screen, format: 'pretty' });
    logs.detail.info('asset workflow-bundle.js 1.2 MiB\n./src/workflows/index.ts 3 KiB');
    logs.log.info({ applied: ['001', '002'] }, 'ClickHouse migrations applied');
    expect(screen.lines).toHaveLength(1);
    expect(screen.lines[0]).toMatch(/INFO \(tessera\): ClickHouse migrations applied applied=\[001,002\]$/);
    expect(fileRecords(logs.file).map((record) => record.msg)).toEqual(['asset workflow-bundle.js 1.2 MiB\n./src/workflows/index.ts 3 KiB', 'ClickHouse migrations applied']);

    const debugScreen = terminal(true);
    const debug = open({ terminal: debugScreen, format: 'pretty', level: 'debug' });
    debug.detail.info('asset workflow-bundle.js 1.2 MiB\n./src/workflows/index.ts 3 KiB');
    expect(debugScreen.lines.join('\n')).toContain('./src/workflows/index.ts 3 KiB');
  });

  it('writes the JSON records to a terminal that is not one, or when asked', () => {
    for (const screen of [terminal(false), terminal(true)]) {
      const logs = open({ terminal: screen, format: screen.isTTY ? 'json' : 'auto' });
      logs.log.warn({ err: new TypeError('boom') }, 'something broke');
      logs.detail.info('listing');
      expect(screen.lines).toHaveLength(1);
      expect(JSON.parse(screen.lines[0]!)).toMatchObject({ level: 40, msg: 'something broke', err: { type: 'TypeError', message: 'boom' } });
    }
  });

  it("files a child process's records and plain lines, showing those at the level and above", async () => {
    const screen = terminal(true);
    const logs = open({ terminal: screen, format: 'pretty' });
    const output = new PassThrough();
    logs.follow(output, 'tessera-worker[42]');
    output.end(
      [
        JSON.stringify({ level: 20, time: Date.now(), service: 'tessera-worker', pid: 42, msg: 'debug detail' }),
        JSON.stringify({ level: 30, time: Date.now(), service: 'tessera-worker', pid: 42, task_queue: 'tessera-chat', msg: 'worker process polling' }),
        '(node:42) Warning: something plain',
        '',
      ].join('\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.lines).toHaveLength(2);
    expect(screen.lines[0]).toMatch(/INFO \(tessera-worker\[42\]\): worker process polling task_queue=tessera-chat$/);
    expect(screen.lines[1]).toMatch(/INFO \(tessera-worker\[42\]\): \(node:42\) Warning: something plain$/);
    expect(fileRecords(logs.file).map((record) => record.msg)).toEqual(['debug detail', 'worker process polling', '(node:42) Warning: something plain']);
  });
});

describe('TESSERA_LOG_FORMAT', () => {
  it('is auto by default, takes pretty or json, and refuses anything else naming the variable', () => {
    expect(loadConfig({}).TESSERA_LOG_FORMAT).toBe('auto');
    expect(loadConfig({ TESSERA_LOG_FORMAT: 'json' }).TESSERA_LOG_FORMAT).toBe('json');
    expect(loadConfig({ TESSERA_LOG_FORMAT: 'pretty' }).TESSERA_LOG_FORMAT).toBe('pretty');
    expect(() => loadConfig({ TESSERA_LOG_FORMAT: 'fancy' })).toThrow(ConfigError);
    expect(() => loadConfig({ TESSERA_LOG_FORMAT: 'fancy' })).toThrow(/TESSERA_LOG_FORMAT/);
  });
});
