/**
 * Tessera's logs: structured pino lines that name what they are about (request id, app, chat,
 * turn, trace id where known) and never carry a message's text or a credential.
 *
 * - the trace id and span id of the active span are mixed into every line (a request's lines, an
 *   activity's lines), so a log line leads to its trace;
 * - request URLs are logged without their query credential (`?access_token=` of SSE/WebSocket);
 * - keys that hold text or secrets (`content`, `authorization`, `api_key`, tokens) are censored
 *   wherever they appear, as a net under code that should not log them in the first place.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { trace } from '@opentelemetry/api';

export interface LoggerSettings {
  level: string;
  /** Fields on every line (`service`, `pid`). */
  base: Record<string, unknown>;
}

const CENSORED_KEYS = ['content', 'authorization', 'api_key', 'apiKey', 'runtime_token', 'access_token', 'token', 'secret', 'password'];

export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: settings.level,
    base: settings.base,
    mixin: traceFields,
    serializers: { req: requestForLog, res: (reply: { statusCode?: number }) => ({ status_code: reply.statusCode }), err: pino.stdSerializers.err },
    redact: { paths: CENSORED_KEYS.flatMap((key) => [key, `*.${key}`]), censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** `trace_id` and `span_id` of the active span; nothing when the line's logger already names a trace. */
function traceFields(_merge: object, _level: number, logger: Logger): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return {};
  if ('trace_id' in logger.bindings()) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
}

/** What a request line shows: method, route and path without the query string's credentials. */
export function requestForLog(request: { method?: string; url?: string; routeOptions?: { url?: string }; ip?: string }): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url ? withoutCredentials(request.url) : undefined,
    route: request.routeOptions?.url,
    remote_address: request.ip,
  };
}

export function withoutCredentials(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  for (const key of [...params.keys()]) {
    if (/token|key|secret|signature/i.test(key)) params.set(key, '[redacted]');
  }
  return `${url.slice(0, query)}?${params.toString()}`;
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's logger (workers, activities, workflows' `log`) writing through pino. */
export function temporalLogger(log: Logger, level: LogLevel): DefaultLogger {
  const sdk = log.child({ component: 'temporal' });
  return new DefaultLogger(level, (entry) => {
    sdk[PINO_LEVEL[entry.level]](withErr(entry.meta), entry.message);
  });
}

/**
 * The workflow bundler's logger: its module listing and "bundle created" (info and below) go to
 * `detail` (the launcher's log file only), its warnings and errors (a failed build) to `log`.
 */
export function bundlerLogger(detail: Logger, log: Logger): DefaultLogger {
  const quiet = detail.child({ component: 'workflow-bundler' });
  const loud = log.child({ component: 'workflow-bundler' });
  return new DefaultLogger('INFO', (entry) => {
    const target = entry.level === 'WARN' || entry.level === 'ERROR' ? loud : quiet;
    target[PINO_LEVEL[entry.level]](withErr(entry.meta), entry.message);
  });
}

/** The SDK passes failures as `error`; pino serializes them (type, message, stack) only as `err`. */
function withErr(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!meta || !(meta.error instanceof Error)) return { ...meta };
  const { error, ...rest } = meta;
  return { ...rest, err: error };
}
