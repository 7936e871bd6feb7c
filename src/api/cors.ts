/**
 * Browser access (README "Browser access (CORS)"): the routes a runtime token may call (a chat's
 * messages, reads, cancel and close, its SSE and WebSocket streams, the user's chat list) are
 * registered in one scope with `browserAccess()`, and only they ever answer CORS. App-key and admin
 * routes never do: an app key or the admin key must never be in a web page.
 *
 * - **Preflight** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`, no credential):
 *   answered by `@fastify/cors` from memory, for a browser route and an origin that some app allows
 *   (`OriginDirectory`: no store round trip), with `Vary: Origin`, the methods and headers a page
 *   may use, `Access-Control-Max-Age` and the headers it may read. Any other `OPTIONS` is a plain
 *   one: 204 with `Allow` and no CORS header.
 * - **Actual request** (any other method, once the route's guard has authenticated it): a
 *   cross-origin request (`Origin` other than the API's own) with a runtime token whose app does not
 *   allow that origin — or with an app key or the admin key — is refused with 403
 *   `origin_not_allowed` before the route runs (audited in the caller's app), and carries no
 *   `Access-Control-Allow-Origin`. So an
 *   origin allowed for app A never works with app B's token, whatever the preflight said. A
 *   runtime token whose app allows the origin gets `Access-Control-Allow-Origin: <origin>` (no
 *   credentials mode: nothing rides on cookies), on the live SSE stream too.
 * - **WebSocket**: the same check on the upgrade request, so a page on an origin the token's app does
 *   not allow gets 403 instead of a socket (Cross-Site WebSocket Hijacking). Without `Origin` (a
 *   server's client) nothing changes.
 * - **401** (no valid credential, so no app) carries `Access-Control-Allow-Origin` when some app
 *   allows the origin, so a page can tell an expired token from a network failure; the answer names
 *   no app.
 */
import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originAllowed } from '../domain/apps/origins';
import type { OriginDirectory } from '../stores/app-origins';
import type { Caller } from './auth/caller';
import { auditRefusal } from './auth/guard';
import { HttpError, RouteTable } from './errors';
import type { ApiRuntime } from './runtime';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `@fastify/cors` when it granted this preflight. */
    corsPreflightEnabled?: boolean;
  }
}

export const CORS_MAX_AGE_SECONDS = 600;
/** Request headers a page may send. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Last-Event-ID', 'X-Request-Id', 'X-Tessera-Actor'] as const;
/** Response headers a page may read (besides the CORS-safelisted ones): when to retry a 429/503, and
 * the request id to quote. The API sends no other rate-limit header. */
export const CORS_EXPOSED_HEADERS = ['Retry-After', 'X-Request-Id', 'WWW-Authenticate'] as const;

export interface BrowserAccessOptions {
  runtime: ApiRuntime;
  origins: OriginDirectory;
  /** Every route of the API (a plain OPTIONS answers its path's methods in `Allow`). */
  routes: RouteTable;
}

/** Makes `scope` the browser scope: call it before registering the browser routes in it. */
export async function browserAccess(scope: FastifyInstance, options: BrowserAccessOptions): Promise<void> {
  const browserRoutes = new RouteTable();
  scope.addHook('onRoute', (route) => {
    if (route.url !== '*') browserRoutes.add(route.method, route.url);
  });

  // `@fastify/cors` answers preflights in `onRequest`, before any guard (a preflight has no credential).
  await scope.register(fastifyCors, {
    hook: 'onRequest',
    delegator: async (request: FastifyRequest) => {
      const origin = request.headers.origin;
      const method = request.headers['access-control-request-method'];
      // Not a preflight (an actual request is decided after its guard, below): `Vary: Origin` only.
      if (request.method !== 'OPTIONS' || typeof origin !== 'string' || typeof method !== 'string') return { origin: false };
      const methods = browserRoutes.methodsFor(pathOf(request));
      if (!methods.includes(method.toUpperCase()) || !options.origins.someAppAllows(origin)) return { origin: false };
      return {
        origin,
        methods,
        allowedHeaders: [...CORS_ALLOWED_HEADERS],
        exposedHeaders: [...CORS_EXPOSED_HEADERS],
        maxAge: CORS_MAX_AGE_SECONDS,
        strictPreflight: false,
      };
    },
  });

  scope.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'OPTIONS' || request.corsPreflightEnabled) return;
    // A plain OPTIONS (or a preflight not granted): the path's methods, no CORS. An unknown path
    // goes on to 404.
    const allowed = options.routes.methodsFor(pathOf(request));
    if (allowed.length === 0) return;
    return reply.header('allow', allowed.join(', ')).status(204).send();
  });

  // After the guard (route `onRequest`) and before the route or a WebSocket upgrade.
  scope.addHook('preValidation', async (request, reply) => {
    const origin = crossOrigin(request, options.runtime.publicUrl);
    if (origin === undefined || request.method === 'OPTIONS') return;
    const caller = request.caller;
    if (!caller) return;
    if (!callerAllows(caller, origin)) {
      // Audited in the caller's app, as every refusal of a genuine credential is (who tried what).
      await auditRefusal(options.runtime, request, caller, { type: 'route', id: request.routeOptions.url ?? pathOf(request) }, `origin ${origin} not allowed`);
      throw new HttpError(
        403,
        'origin_not_allowed',
        caller.kind === 'runtime'
          ? `origin ${origin} is not in app '${caller.appId}' allowed_origins`
          : `a request from a web page (Origin ${origin}) must use a runtime token: app keys and the admin key are for servers`,
      );
    }
    grant(reply, origin);
  });

  // Answers that ended before the check above (the guard refused, the body was refused) or after it.
  scope.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'OPTIONS' || reply.hasHeader('access-control-allow-origin')) return payload;
    const origin = crossOrigin(request, options.runtime.publicUrl);
    if (origin === undefined) return payload;
    const caller = request.caller;
    if (caller ? callerAllows(caller, origin) : reply.statusCode === 401 && options.origins.someAppAllows(origin)) grant(reply, origin);
    return payload;
  });
}

function callerAllows(caller: Caller, origin: string): boolean {
  return caller.kind === 'runtime' && originAllowed(caller.app.allowed_origins, origin);
}

function grant(reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
}

/** The request's `Origin` when it is another origin than the API's own (a cross-origin page). */
function crossOrigin(request: FastifyRequest, publicUrl: string): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin.length === 0) return undefined;
  if (origin === originOf(publicUrl)) return undefined;
  const host = request.headers.host;
  if (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)) return undefined;
  return origin;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '';
}
