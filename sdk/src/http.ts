/**
 * The fetch layer under both clients: the credential on every request, and a bounded retry of the
 * answers that say "not now" — 429 (the app's limits) and 503 (paused, or Temporal unreachable) —
 * after the `Retry-After` the API sent (or a short exponential backoff when it sent none). A
 * request that cannot have done anything twice (a read, or a message send with its `message_id`)
 * is also retried after a network failure.
 */
import { errorFromResponse, parseRetryAfter, readError, TesseraError } from './errors.js';

/** A bearer credential, or a function that returns the current one (for runtime tokens that get refreshed). */
export type Credential = string | (() => string | Promise<string>);

export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 turns retrying off). */
  maxRetries?: number;
  /** The longest wait the client accepts: a `Retry-After` above it is not waited for (default 30 s). */
  maxDelayMs?: number;
  /** First backoff when the answer has no `Retry-After` (default 500 ms, doubling). */
  baseDelayMs?: number;
}

export interface TransportOptions {
  /** The API's address, e.g. `https://tessera.example.com` (no trailing `/v1`). */
  baseUrl: string;
  /** A fetch to use instead of the global one. */
  fetch?: (input: Request) => Promise<Response>;
  retry?: RetryOptions;
  /** Extra headers on every request (e.g. `x-tessera-actor` for an app backend). */
  headers?: Record<string, string>;
}

export interface ResolvedRetry {
  maxRetries: number;
  maxDelayMs: number;
  baseDelayMs: number;
}

export function resolveRetry(options: RetryOptions | undefined): ResolvedRetry {
  return {
    maxRetries: Math.max(0, options?.maxRetries ?? 3),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 30_000),
    baseDelayMs: Math.max(1, options?.baseDelayMs ?? 500),
  };
}

export const RETRYABLE_STATUSES = new Set([429, 503]);

export async function credentialValue(credential: Credential): Promise<string> {
  return typeof credential === 'function' ? credential() : credential;
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with jitter: base, 2×base, 4×base, ... (±25 %), at most `max`. */
export function backoffMs(attempt: number, base: number, max: number): number {
  const exact = Math.min(max, base * 2 ** attempt);
  return Math.round(exact * (0.75 + Math.random() * 0.5));
}

/** How long to wait before retrying this answer, or undefined when it is not to be retried. */
export function retryDelay(response: Response, attempt: number, retry: ResolvedRetry): number | undefined {
  if (!RETRYABLE_STATUSES.has(response.status) || attempt >= retry.maxRetries) return undefined;
  const seconds = parseRetryAfter(response.headers.get('retry-after'));
  const delay = seconds !== undefined ? seconds * 1000 : backoffMs(attempt, retry.baseDelayMs, retry.maxDelayMs);
  return delay <= retry.maxDelayMs ? delay : undefined;
}

export interface FetchLayerOptions {
  fetch: (input: Request) => Promise<Response>;
  credential: Credential;
  retry: ResolvedRetry;
  headers: Record<string, string>;
  /** Retry after a network failure too (only for requests that are safe to repeat). */
  retryNetwork: boolean;
}

/** A fetch for openapi-fetch: sets the credential, and retries 429/503 (and network failures when allowed). */
export function fetchLayer(options: FetchLayerOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const retryNetwork = options.retryNetwork || request.method === 'GET' || request.method === 'HEAD';
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const attemptRequest = request.clone();
      for (const [name, value] of Object.entries(options.headers)) attemptRequest.headers.set(name, value);
      attemptRequest.headers.set('authorization', `Bearer ${await credentialValue(options.credential)}`);
      let response: Response;
      try {
        response = await options.fetch(attemptRequest);
      } catch (error) {
        if (request.signal.aborted) throw error;
        if (!retryNetwork || attempt >= options.retry.maxRetries) {
          throw new TesseraError({ status: 0, code: 'network_error', message: `${request.method} ${new URL(request.url).pathname}: ${(error as Error).message}`, cause: error });
        }
        await sleep(backoffMs(attempt, options.retry.baseDelayMs, options.retry.maxDelayMs), request.signal);
        continue;
      }
      // A refreshable credential that was refused may just have expired: ask for a new one, once.
      if (response.status === 401 && typeof options.credential === 'function' && !refreshed) {
        refreshed = true;
        await response.body?.cancel();
        attempt--;
        continue;
      }
      const delay = retryDelay(response, attempt, options.retry);
      if (delay === undefined) return response;
      await response.body?.cancel();
      await sleep(delay, request.signal);
    }
  };
}

/** What openapi-fetch answers: data on success, the error body otherwise. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; a `TesseraError` for any other. */
export async function unwrap<T>(pending: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok || error !== undefined) {
    throw error !== undefined ? errorFromResponse(response, error) : await readError(response);
  }
  return data as T;
}
