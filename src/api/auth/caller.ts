/**
 * Who is calling: the admin, an app's backend (app key) or a browser holding a runtime token for one
 * chat. Resolved from `Authorization: Bearer …` (and `X-Tessera-Actor` when the app trusts an
 * identity provider); each route says which kinds it admits.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppState } from '../../domain/apps';
import type { ActorContext } from '../../domain/audit';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';
import { ActorTokenError } from './actor-token';
import { adminKeyMatches, appIdOfKey, appKeyMatches, digestAppKey } from './app-keys';
import { assertCsrf, assertSameOrigin, ConsoleSessions, sessionIdOf } from './console-session';

export type Caller =
  | { kind: 'admin'; actor: ActorContext }
  | { kind: 'app'; appId: string; app: AppState; actor: ActorContext }
  | {
      kind: 'runtime';
      appId: string;
      app: AppState;
      userId: string;
      chatId: string;
      expiresAt: Date;
      actor: ActorContext;
      /** Names this one token (a digest of it) where per-token limits are counted. */
      tokenId: string;
    };

export type CallerKind = Caller['kind'];

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_CREDENTIAL_LENGTH = 8192;

export const unauthorized = (message = 'a valid Authorization: Bearer credential is required') =>
  new HttpError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });

export interface AuthOptions {
  /** Also accept the credential as `?access_token=` (RFC 6750 §2.3): browsers' EventSource and
   * WebSocket cannot set headers. */
  queryToken?: boolean;
  /** Also accept the console's session cookie on this route's non-GET method (it is always accepted
   * on GET and HEAD), after the session's CSRF token and the request's origin are checked. */
  consoleWrites?: boolean;
}

export async function authenticate(
  request: FastifyRequest,
  runtime: ApiRuntime,
  allowed: readonly CallerKind[],
  options: AuthOptions = {},
): Promise<Caller> {
  const sessionId = request.headers.authorization === undefined ? sessionIdOf(request) : undefined;
  const caller =
    sessionId !== undefined && consoleSessionAdmitted(request, options)
      ? await sessionCaller(request, runtime, sessionId)
      : await resolve(request, runtime, bearer(request, options));
  if (!allowed.includes(caller.kind)) throw new WrongCallerError(caller);
  return caller;
}

/** A key as the console's sign-in takes it: the API's own checks, for the admin key or an app key. */
export async function resolveKey(request: FastifyRequest, runtime: ApiRuntime, key: string): Promise<Caller> {
  if (key.length === 0 || key.length > MAX_CREDENTIAL_LENGTH) throw unauthorized('unknown credential');
  const caller = await resolve(request, runtime, key);
  if (caller.kind === 'runtime') throw unauthorized('the console signs in with the admin key or an app key');
  return caller;
}

/** The console's cookie stands in for the key on reads (GET, HEAD), and on writes only where the
 * route says so (`consoleWrites`); an explicit `Authorization` header always wins. */
function consoleSessionAdmitted(request: FastifyRequest, options: AuthOptions): boolean {
  // A credential given as `?access_token=` (a browser stream) is explicit too: it wins.
  if (options.queryToken && (request.query as Record<string, unknown> | undefined)?.access_token !== undefined) return false;
  return request.method === 'GET' || request.method === 'HEAD' || options.consoleWrites === true;
}

/** The caller a console session stands for, as its key would resolve it today: an app's session
 * ends when the app is gone or its key was rotated since sign-in. */
async function sessionCaller(request: FastifyRequest, runtime: ApiRuntime, sessionId: string): Promise<Caller> {
  const record = await new ConsoleSessions(runtime.redis).get(sessionId);
  if (!record) throw unauthorized('console session expired or signed out: sign in again');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    assertSameOrigin(request);
    assertCsrf(request, record);
  }
  const requestId = String(request.id);
  if (record.kind === 'admin') {
    if (record.key_digest !== digestAppKey(runtime.secrets.keyPepper, runtime.secrets.adminKey)) throw unauthorized('console session of a replaced admin key: sign in again');
    return { kind: 'admin', actor: { actor_id: 'admin', roles: ['admin'], app_id: '_system', via: 'admin_key', request_id: requestId } };
  }
  const app = await runtime.apps.state(record.app_id);
  if (!app || app.key_digest !== record.key_digest) throw unauthorized('console session of a revoked app key: sign in again');
  const actor: ActorContext = { actor_id: `app:${app.app_id}`, roles: ['app'], app_id: app.app_id, via: 'app_key', request_id: requestId };
  return { kind: 'app', appId: app.app_id, app, actor };
}

/** A genuine credential used on a route not meant for it (an app key on an admin route, ...). */
export class WrongCallerError extends HttpError {
  constructor(readonly caller: Caller) {
    super(403, 'forbidden', `this route is not open to ${caller.kind === 'runtime' ? 'runtime tokens' : `${caller.kind} callers`}`);
  }
}

async function resolve(request: FastifyRequest, runtime: ApiRuntime, credential: string): Promise<Caller> {
  const requestId = String(request.id);
  const keyAppId = appIdOfKey(credential);
  if (keyAppId !== undefined) {
    const app = await runtime.apps.state(keyAppId);
    if (!app || !appKeyMatches(runtime.secrets.keyPepper, credential, app.key_digest)) throw unauthorized('unknown or revoked app key');
    const actor = await actorFor(request, runtime, app, {
      actor_id: `app:${app.app_id}`,
      roles: ['app'],
      app_id: app.app_id,
      via: 'app_key',
      request_id: requestId,
    });
    return { kind: 'app', appId: app.app_id, app, actor };
  }
  if (JWT_SHAPE.test(credential)) {
    const scope = await runtime.runtimeTokens.verify(credential);
    const app = scope ? await runtime.apps.state(scope.appId) : null;
    if (!scope || !app) throw unauthorized('invalid or expired runtime token');
    const actor = await actorFor(request, runtime, app, {
      actor_id: scope.userId,
      roles: ['user'],
      app_id: app.app_id,
      via: 'runtime_token',
      request_id: requestId,
    });
    const tokenId = createHash('sha256').update(credential).digest('base64url').slice(0, 32);
    return { kind: 'runtime', appId: app.app_id, app, userId: scope.userId, chatId: scope.chatId, expiresAt: scope.expiresAt, actor, tokenId };
  }
  if (adminKeyMatches(credential, runtime.secrets.adminKey)) {
    return { kind: 'admin', actor: { actor_id: 'admin', roles: ['admin'], app_id: '_system', via: 'admin_key', request_id: requestId } };
  }
  throw unauthorized('unknown credential');
}

/** The app's identity provider vouches for the person behind a backend or browser call. */
async function actorFor(request: FastifyRequest, runtime: ApiRuntime, app: AppState, fallback: ActorContext): Promise<ActorContext> {
  const header = request.headers['x-tessera-actor'];
  if (header === undefined) return fallback;
  if (typeof header !== 'string' || header.length > MAX_CREDENTIAL_LENGTH) throw unauthorized('X-Tessera-Actor must be one token');
  if (!app.identity_provider) {
    throw new HttpError(400, 'identity_provider_not_configured', `app '${app.app_id}' has no identity provider to verify X-Tessera-Actor`);
  }
  try {
    const actor = await runtime.actorTokens.verify(header, app.identity_provider, app.app_id);
    return { ...actor, request_id: fallback.request_id ?? String(request.id) };
  } catch (error) {
    if (error instanceof ActorTokenError) throw unauthorized(error.message);
    throw error;
  }
}

function bearer(request: FastifyRequest, options: AuthOptions): string {
  const header = request.headers.authorization;
  if (header === undefined && options.queryToken) {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof token === 'string' && token.length > 0 && token.length <= MAX_CREDENTIAL_LENGTH) return token;
  }
  if (typeof header !== 'string' || header.length > MAX_CREDENTIAL_LENGTH) throw unauthorized();
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized();
  return match[1];
}

/** The app a caller acts for: its own, or for the admin the one named in the path. */
export function appScope(caller: Caller, pathAppId?: string): string | undefined {
  return caller.kind === 'admin' ? pathAppId : caller.appId;
}
