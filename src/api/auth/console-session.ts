/**
 * Console sessions (issue 19): the console's sign-in exchanges the admin key or an app key for a
 * random session id in an `HttpOnly`, `SameSite=Strict` cookie. Redis keeps, under a digest of the
 * id (a copy of Redis gives no usable cookie), who the session is — the admin, or an app and the
 * digest of the key it signed in with, so rotating the key (or the admin key) ends the session — and the session's
 * CSRF token. The key itself is kept nowhere. Sessions last 8 hours from sign-in, sign-out deletes
 * them.
 *
 * CSRF: a browser sends the cookie only on same-site requests (`SameSite=Strict`), and on top of
 * that every state-changing console call must carry the session's CSRF token in `X-CSRF-Token`
 * (handed to the page by the sign-in answer and `GET /v1/console/session`, which a page of another
 * origin cannot read) and, when the browser says where it comes from, the API's own origin.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { HttpError } from '../errors';

export const CONSOLE_COOKIE = 'tessera_console';
export const CSRF_HEADER = 'x-csrf-token';
export const CONSOLE_SESSION_TTL_SECONDS = 8 * 60 * 60;

export type ConsoleSessionRecord =
  | { kind: 'admin'; key_digest: string; csrf: string; created_at: string }
  | { kind: 'app'; app_id: string; key_digest: string; csrf: string; created_at: string };

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const redisKey = (id: string) => `console:session:${createHash('sha256').update(id).digest('base64url')}`;

export class ConsoleSessions {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = CONSOLE_SESSION_TTL_SECONDS,
  ) {}

  async create(who: { kind: 'admin'; key_digest: string } | { kind: 'app'; app_id: string; key_digest: string }, now: Date): Promise<{ id: string; record: ConsoleSessionRecord }> {
    const id = randomBytes(32).toString('base64url');
    const record: ConsoleSessionRecord = { ...who, csrf: randomBytes(32).toString('base64url'), created_at: now.toISOString() };
    await this.redis.set(redisKey(id), JSON.stringify(record), 'EX', this.ttlSeconds);
    return { id, record };
  }

  async get(id: string): Promise<ConsoleSessionRecord | null> {
    if (!SESSION_ID.test(id)) return null;
    const raw = await this.redis.get(redisKey(id));
    return raw === null ? null : (JSON.parse(raw) as ConsoleSessionRecord);
  }

  async delete(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.redis.del(redisKey(id));
  }

  get maxAgeSeconds(): number {
    return this.ttlSeconds;
  }
}

/** The console session id the request's cookie carries, if any. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === CONSOLE_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, maxAgeSeconds: number): void {
  void reply.header('set-cookie', cookie(request, `${CONSOLE_COOKIE}=${id}`, maxAgeSeconds));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('set-cookie', cookie(request, `${CONSOLE_COOKIE}=`, 0));
}

function cookie(request: FastifyRequest, pair: string, maxAgeSeconds: number): string {
  // `Secure` wherever the API is reached over HTTPS (directly or through a proxy that says so).
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  return `${pair}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * The request comes from a page of the API's own origin, as far as the browser tells: `Origin`
 * (sent on every cross-origin request and every POST) must be the API's, and `Sec-Fetch-Site`,
 * where sent, `same-origin`. A client that is not a browser sends neither and is let through: it
 * holds the credential itself, which is what CSRF is not about.
 */
export function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin !== undefined && !sameHost(origin, request.host)) {
    throw new HttpError(403, 'cross_origin', 'console calls are accepted only from the console’s own origin');
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'cross_origin', 'console calls are accepted only from the console’s own origin');
  }
}

/** `Origin` names the host the request was sent to (`Host`), over HTTP or HTTPS: behind a proxy that
 * ends TLS the API itself is reached over HTTP, so the scheme alone is not compared. */
function sameHost(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  } catch {
    return false;
  }
}

/** The request carries the session's CSRF token (`X-CSRF-Token`), compared in constant time. */
export function assertCsrf(request: FastifyRequest, record: ConsoleSessionRecord): void {
  const given = request.headers[CSRF_HEADER];
  const a = createHash('sha256').update(typeof given === 'string' ? given : '').digest();
  const b = createHash('sha256').update(record.csrf).digest();
  if (typeof given !== 'string' || !timingSafeEqual(a, b)) {
    throw new HttpError(403, 'csrf_token_invalid', `a console call that changes state must carry the session's ${CSRF_HEADER} header`);
  }
}
