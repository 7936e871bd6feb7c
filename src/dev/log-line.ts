/**
 * The launcher's terminal line for one structured log record: time, level, where it came from,
 * the message and a few short fields, on one line (pino-pretty renders time, level and colour).
 * Warnings and errors name the error's type and message and where the full record is; stacks,
 * task tokens, trace ids and large fields stay in the log file. `verbose` (LOG_LEVEL=debug or
 * trace) keeps multi-line messages and stacks, for the bundler's listing and debugging.
 */
import { prettyFactory } from 'pino-pretty';

export interface LogLineOptions {
  colors: boolean;
  /** Named on warning and error lines: where the full record is. */
  logFile: string;
  verbose: boolean;
}

export type LogRecord = Record<string, unknown>;

/** Fields a terminal line never shows (the log file has them). */
const HIDDEN = new Set([
  'level', 'time', 'msg', 'pid', 'hostname', 'service', 'component', 'name', 'v',
  'trace_id', 'span_id', 'taskToken', 'namespace', 'workflowRunId', 'runId', 'isLocal', 'sdkComponent', 'stack',
  'taskQueue', 'activityId',
]);
const MAX_FIELDS = 5;
const MAX_VALUE = 40;
const MAX_MESSAGE = 100;
const MAX_ERROR = 120;
/** Message, fields and error together (the log file's name comes after). */
const MAX_SUMMARY = 200;
const WARN = 40;

export function logLineFormatter(options: LogLineOptions): (record: LogRecord) => string {
  const pretty = prettyFactory({ colorize: options.colors, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: !options.verbose, hideObject: true });
  return (record) => {
    const level = typeof record.level === 'number' ? record.level : 30;
    const summary = options.verbose ? verboseText(record) : shortText(record, level, options.logFile);
    return `${pretty({ level, time: record.time ?? Date.now(), name: sourceOf(record), msg: summary })}\n`;
  };
}

/** `tessera`, `tessera/temporal`, `tessera-worker[4242]/temporal`. */
function sourceOf(record: LogRecord): string {
  const service = typeof record.service === 'string' ? record.service : 'tessera';
  const pid = service !== 'tessera' && typeof record.pid === 'number' ? `[${record.pid}]` : '';
  return `${service}${pid}${typeof record.component === 'string' ? `/${record.component}` : ''}`;
}

function shortText(record: LogRecord, level: number, logFile: string): string {
  const message = clip(firstLine(String(record.msg ?? '')), MAX_MESSAGE);
  const error = errorOf(record);
  const failure = error ? ` — ${clip(`${errorType(error)}: ${firstLine(String(error.message ?? ''))}`, MAX_ERROR)}` : '';
  // The fields get what room the message and the error leave.
  const room = MAX_SUMMARY - message.length - failure.length - 1;
  const fields = room > 10 ? clip(shortFields(record), room) : '';
  const text = `${message}${fields ? ` ${fields}` : ''}${failure}`;
  return level >= WARN ? `${text} (full record: ${logFile})` : text;
}

function verboseText(record: LogRecord): string {
  const error = errorOf(record);
  const fields = shortFields(record);
  const stack = error && typeof error.stack === 'string' ? `\n${error.stack}` : '';
  return `${String(record.msg ?? '')}${fields ? ` ${fields}` : ''}${stack}`;
}

/** `key=value` for the first few short scalar fields (and short lists of them). */
function shortFields(record: LogRecord): string {
  const shown: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (shown.length >= MAX_FIELDS) break;
    if (HIDDEN.has(key) || key === 'err' || key === 'error') continue;
    const text = shortValue(value);
    if (text !== undefined) shown.push(`${key}=${text}`);
  }
  return shown.join(' ');
}

function shortValue(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value.includes('\n') ? undefined : clip(value, MAX_VALUE);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')) {
    const joined = value.join(',');
    return joined.length <= MAX_VALUE ? `[${joined}]` : `[${value.length} items]`;
  }
  return undefined;
}

function errorOf(record: LogRecord): LogRecord | undefined {
  const error = record.err ?? record.error;
  if (error && typeof error === 'object') return error as LogRecord;
  if (typeof error === 'string') return { message: error };
  return undefined;
}

function errorType(error: LogRecord): string {
  for (const key of ['type', 'name'] as const) if (typeof error[key] === 'string') return error[key];
  return 'Error';
}

function firstLine(text: string): string {
  const lines = text.split('\n');
  return lines.length > 1 ? `${lines[0]} (+${lines.length - 1} lines)` : text;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
