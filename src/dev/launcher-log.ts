/**
 * Where the launcher's logs go. Every record — the launcher's own and its worker processes' — is
 * appended in full, as a JSON line, to `<data dir>/logs/tessera.log`. The terminal gets one short
 * line per record (`log-line.ts`), or the JSON record itself when it is not a terminal or
 * `TESSERA_LOG_FORMAT=json`. Detail records (the workflow bundler's module listing) go to the file
 * only, unless LOG_LEVEL is debug or trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { isColorSupported } from 'pino-pretty';
import { createLogger } from '../telemetry/logging';
import { logLineFormatter, type LogRecord } from './log-line';

export interface LauncherLogOptions {
  dataDir: string;
  level: string;
  format: 'auto' | 'pretty' | 'json';
  /** Default: this process's stdout. */
  terminal?: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;
}

export interface LauncherLog {
  /** To the file and the terminal. */
  log: Logger;
  /** To the file only (and the terminal when LOG_LEVEL is debug or trace). */
  detail: Logger;
  /** The log file (absolute). */
  file: string;
  /** Copies a child process's output (JSON records or plain text lines) to the file and the terminal. */
  follow(output: Readable, source: string): void;
}

/** A log file larger than this is moved to `tessera.log.1` at start. */
const ROTATE_BYTES = 20 * 1024 * 1024;

export function openLauncherLog(options: LauncherLogOptions): LauncherLog {
  const terminal = options.terminal ?? process.stdout;
  const file = path.join(options.dataDir, 'logs', 'tessera.log');
  const fd = openLogFile(file);
  const pretty = options.format === 'pretty' || (options.format === 'auto' && terminal.isTTY === true);
  const verbose = options.level === 'debug' || options.level === 'trace';
  const threshold = options.level === 'silent' ? Infinity : (pino.levels.values[options.level] ?? 30);
  const format = logLineFormatter({ colors: terminal.isTTY === true && isColorSupported, logFile: shownPath(file), verbose });

  const toFile = (line: string) => fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
  const toTerminal = (line: string, record: LogRecord) => {
    terminal.write(pretty ? format(record) : line.endsWith('\n') ? line : `${line}\n`);
  };
  const destination = (alsoTerminal: boolean) => ({
    write(line: string) {
      toFile(line);
      if (alsoTerminal) toTerminal(line, parseRecord(line) ?? { msg: line.trimEnd() });
    },
  });
  const settings = { level: options.level, base: { service: 'tessera' } };

  return {
    log: createLogger(settings, destination(true)),
    detail: createLogger(settings, destination(verbose)),
    file,
    follow(output, source) {
      readline.createInterface({ input: output, crlfDelay: Infinity }).on('line', (text) => {
        const parsed = parseRecord(text);
        // Plain text (a crash's stack, a Node.js warning) becomes a record too: the file stays JSON lines.
        const line = parsed ? text : JSON.stringify({ level: 30, time: Date.now(), service: source, msg: text });
        const record = parsed ?? (JSON.parse(line) as LogRecord);
        toFile(line);
        if (typeof record.level === 'number' && record.level >= threshold) toTerminal(line, record);
      });
    },
  };
}

function openLogFile(file: string): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    if (fs.statSync(file).size > ROTATE_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log file yet
  }
  return fs.openSync(file, 'a');
}

function parseRecord(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The file as the user would type it: relative to the working directory when inside it. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
