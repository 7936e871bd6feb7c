/**
 * An app's `allowed_origins`: the web origins (`scheme://host[:port]`) whose pages may call the
 * browser routes with the app's runtime tokens (README "Browser access (CORS)"). Each entry is an
 * exact origin, written the way a browser sends it in `Origin`: http or https, a lowercase host, the
 * port only when it is not the scheme's default, and nothing else (no path, not even `/`, no query,
 * fragment or user info). One development form is accepted besides: `http://localhost:*` and
 * `http://127.0.0.1:*` allow that host on any port.
 */
import { z } from 'zod';

export const MAX_ALLOWED_ORIGINS = 50;
/** The development forms: that loopback host over plain http, on any port. */
export const ANY_PORT_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'] as const;

const MAX_ORIGIN_LENGTH = 300;
const SHAPE = /^(https?):\/\/([^/?#@\s]+)$/i;

/** The origin in its canonical form, or why it is not one. */
export function canonicalOrigin(value: string): { origin: string } | { problem: string } {
  const lower = value.toLowerCase();
  if ((ANY_PORT_ORIGINS as readonly string[]).includes(lower)) return { origin: lower };
  if (value.includes('*')) return { problem: `no wildcards (only ${ANY_PORT_ORIGINS.join(' and ')} for development)` };
  const shape = SHAPE.exec(value);
  if (!shape) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^https?:/i.test(value)) return { problem: 'the scheme must be http or https' };
    if (/@/.test(value)) return { problem: 'no user info' };
    return { problem: 'must be scheme://host[:port], with no path (not even /), query or fragment' };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'the host or port is not valid' };
  }
  if (url.hostname === '') return { problem: 'the host is missing' };
  return { origin: url.origin };
}

export const allowedOriginSchema = z
  .string()
  .max(MAX_ORIGIN_LENGTH)
  .transform((value, ctx) => {
    const result = canonicalOrigin(value);
    if ('problem' in result) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not an origin: ${result.problem}` });
      return z.NEVER;
    }
    return result.origin;
  })
  .describe('An origin, `https://app.example.com` or `http://localhost:3000`; the host is lowercased and a default port dropped');

export const allowedOriginsSchema = z
  .array(allowedOriginSchema)
  .max(MAX_ALLOWED_ORIGINS)
  .transform((origins) => [...new Set(origins)])
  .describe(
    `Origins whose web pages may call the browser routes with this app's runtime tokens (CORS, WebSocket origin check); at most ${MAX_ALLOWED_ORIGINS}. ` +
      `Exact origins only, except ${ANY_PORT_ORIGINS.map((form) => `\`${form}\``).join(' and ')} (any port, for development). ` +
      'Replaces the whole list; [] allows none.',
  );

/** Whether a request's `Origin` header is one of these (already canonical) allowed origins. */
export function originAllowed(allowed: readonly string[] | undefined, origin: string): boolean {
  if (!allowed || allowed.length === 0) return false;
  if (allowed.includes(origin)) return true;
  const anyPort = anyPortForm(origin);
  return anyPort !== undefined && allowed.includes(anyPort);
}

/** The any-port development form an origin falls under (`http://localhost:5173` → `http://localhost:*`). */
export function anyPortForm(origin: string): string | undefined {
  const match = /^(http:\/\/(?:localhost|127\.0\.0\.1))(?::(\d{1,5}))?$/.exec(origin);
  return match ? `${match[1]}:*` : undefined;
}
