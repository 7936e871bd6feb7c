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
import { adminKeyMatches, appIdOfKey, appKeyMatches } from './app-keys';

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
}

export async function authenticate(
  request: FastifyRequest,
  runtime: ApiRuntime,
  allowed: readonly CallerKind[],
  options: AuthOptions = {},
): Promise<Caller> {
  const credential = bearer(request, options);
  const caller = await resolve(request, runtime, credential);
  if (!allowed.includes(caller.kind)) throw new WrongCallerError(caller);
  return caller;
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
