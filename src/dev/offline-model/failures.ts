/**
 * Injected failures, for tests of retries: the request header `x-offline-fail` (see index.ts).
 * `<status>` answers that HTTP status in OpenAI's error shape; `midstream` drops the connection
 * part-way through the answer. A `;times=<n>` suffix fails only the first n identical requests
 * (same route, body and header) this server sees, so a retried call eventually succeeds.
 */
export const FAILURE_HEADER = 'x-offline-fail';

export type InjectedFailure = { kind: 'status'; status: number } | { kind: 'midstream' };

export class BadFailureHeaderError extends Error {
  constructor(value: string) {
    super(`${FAILURE_HEADER} must be an HTTP status (400-599) or "midstream", optionally followed by ";times=<n>"; got '${value}'`);
    this.name = 'BadFailureHeaderError';
  }
}

function parseFailureHeader(value: string): { failure: InjectedFailure; times: number } {
  const match = /^\s*(midstream|\d{3})\s*(?:;\s*times\s*=\s*(\d+)\s*)?$/i.exec(value);
  const what = match?.[1]?.toLowerCase();
  if (!match || what === undefined) throw new BadFailureHeaderError(value);
  const times = match[2] === undefined ? Number.POSITIVE_INFINITY : Number(match[2]);
  if (what === 'midstream') return { failure: { kind: 'midstream' }, times };
  const status = Number(what);
  if (status < 400 || status > 599) throw new BadFailureHeaderError(value);
  return { failure: { kind: 'status', status }, times };
}

/** Remembers how often each failing request was seen, to honour `times=`. */
export class FailureInjector {
  private readonly seen = new Map<string, number>();

  /** The failure this request should get, or undefined to serve it; throws on a bad header. */
  failureFor(headerValue: string | undefined, requestKey: string): InjectedFailure | undefined {
    if (headerValue === undefined) return undefined;
    const { failure, times } = parseFailureHeader(headerValue);
    const key = `${headerValue}\n${requestKey}`;
    const attempt = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, attempt);
    return attempt <= times ? failure : undefined;
  }
}
