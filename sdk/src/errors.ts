/**
 * Every failure the SDK reports is a `TesseraError`: the API's error body (`{"error": {"code",
 * "message", "details"?}}`) with the HTTP status and `Retry-After` in seconds, or, with status 0,
 * what happened without an HTTP answer (the network, a failed turn, a stream that would not
 * reconnect).
 */
export interface TesseraErrorInit {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  retryAfter?: number;
  requestId?: string;
  turnId?: string;
  cause?: unknown;
}

export class TesseraError extends Error {
  /** HTTP status; 0 when there was no HTTP answer (`network_error`, `turn_failed`, `stream_disconnected`, ...). */
  readonly status: number;
  /** The API's stable error code (`not_found`, `unauthorized`, `rate_limited`, ...). */
  readonly code: string;
  readonly details: unknown;
  /** Seconds the API asked the caller to wait (`Retry-After`), when it said. */
  readonly retryAfter: number | undefined;
  /** The API's `x-request-id` of the failed request, to find it in the server's logs. */
  readonly requestId: string | undefined;
  /** The turn, for a failed turn. */
  readonly turnId: string | undefined;

  constructor(init: TesseraErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'TesseraError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
    this.turnId = init.turnId;
  }
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** The error an API answer stands for; `body` is its parsed JSON when already read. */
export function errorFromResponse(response: Response, body: unknown): TesseraError {
  const error = (body as ErrorBody | undefined)?.error;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const requestId = response.headers.get('x-request-id') ?? undefined;
  return new TesseraError({
    status: response.status,
    code: typeof error?.code === 'string' ? error.code : `http_${response.status}`,
    message: typeof error?.message === 'string' ? error.message : `HTTP ${response.status} ${response.statusText}`.trim(),
    ...(error?.details !== undefined ? { details: error.details } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  });
}

/** Reads a failed response's body and turns it into a `TesseraError`. */
export async function readError(response: Response): Promise<TesseraError> {
  let body: unknown;
  try {
    const text = await response.text();
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return errorFromResponse(response, body);
}
