/**
 * The tools a model may call. Each returns the text handed back to the model or throws a
 * `ToolError` whose message the model sees instead; nothing here is trusted to the model's word:
 * arguments are parsed by their schemas and URLs checked against the operator's allowlist on
 * every hop.
 */
import type { ToolArguments } from '../../domain/tools/definitions';
import { evaluateExpression } from '../../domain/tools/calculator';
import { isUrlAllowed } from '../../domain/tools/http-allowlist';

export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

export const HTTP_GET_TIMEOUT_MS = 10_000;
export const HTTP_GET_MAX_CHARS = 20_000;
const MAX_REDIRECTS = 5;

/** The time in an IANA zone as ISO 8601 with that zone's offset, e.g. `2025-06-01T14:00:00+02:00`. */
export function currentTime(args: ToolArguments['current_time'], now: Date): string {
  const timeZone = args.timezone ?? 'UTC';
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'long',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    }).formatToParts(now);
  } catch {
    throw new ToolError(`unknown time zone '${timeZone}'; use an IANA name such as "Europe/Paris"`);
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = part('timeZoneName').replace(/^GMT/, '') || '+00:00';
  const iso = `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}${offset}`;
  return `${iso} (${part('weekday')}, ${timeZone})`;
}

export function calculate(args: ToolArguments['calculator']): string {
  let value: number;
  try {
    value = evaluateExpression(args.expression);
  } catch (error) {
    throw new ToolError(error instanceof Error ? error.message : String(error));
  }
  if (!Number.isFinite(value)) throw new ToolError(`the result is not a finite number (${value})`);
  return String(value);
}

/** GET with redirects followed by hand, so every hop's host is checked before it is contacted. */
export async function httpGet(args: ToolArguments['http_get'], allowlist: readonly string[], cancel: AbortSignal): Promise<string> {
  const signal = AbortSignal.any([cancel, AbortSignal.timeout(HTTP_GET_TIMEOUT_MS)]);
  let url = args.url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (!isUrlAllowed(url, allowlist)) {
      throw new ToolError(hop === 0 ? `fetching ${url} is not allowed (host not on the allowlist)` : `redirect to ${url} is not allowed`);
    }
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'manual', signal, headers: { 'user-agent': 'tessera-http-get/1' } });
    } catch (error) {
      throw new ToolError(signal.aborted && !cancel.aborted ? `no answer within ${HTTP_GET_TIMEOUT_MS / 1000} s` : describe(error));
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url).toString();
      continue;
    }
    const { text, truncated } = await readText(response, HTTP_GET_MAX_CHARS);
    if (!response.ok) throw new ToolError(`HTTP ${response.status} ${response.statusText}: ${text.slice(0, 500)}`);
    const note = truncated ? `\n\n[truncated after ${HTTP_GET_MAX_CHARS} characters]` : '';
    return `HTTP ${response.status} (${response.headers.get('content-type') ?? 'unknown type'})\n\n${text}${note}`;
  }
  throw new ToolError(`more than ${MAX_REDIRECTS} redirects`);
}

/** Reads at most `maxChars` characters of the body and drops the rest unread. */
async function readText(response: Response, maxChars: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length > maxChars) {
        await reader.cancel();
        return { text: text.slice(0, maxChars), truncated: true };
      }
    }
  } catch (error) {
    throw new ToolError(`reading the response failed: ${describe(error)}`);
  }
  text += decoder.decode();
  return text.length > maxChars ? { text: text.slice(0, maxChars), truncated: true } : { text, truncated: false };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
