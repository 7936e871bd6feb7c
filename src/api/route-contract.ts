/**
 * What every route keeps, enforced and documented in one place as routes register (an `onRoute`
 * hook, so no route can forget it):
 *
 * - **Authentication first.** A route either authenticates in `onRequest` with `guard()` (which
 *   Fastify runs before it reads or validates the body and query), or says it is open
 *   (`config: { open: true }`; a CORS preflight, `OPTIONS` only, is open by nature). Registering a
 *   route that does neither fails at start-up.
 * - **Security in the document.** A guarded route is documented with the credentials it admits
 *   (`bearer` with the caller kinds as roles, plus the `access_token` query credential where a
 *   browser stream takes it); an open route with `security: []`.
 * - **Every status it can answer.** Besides the statuses a route lists itself, the ones the server
 *   answers on its behalf: 400 (a URL that does not decode, or a request that is not HTTP), 408 (the
 *   request did not arrive in time), 414 (URL over the limit), 431 (headers over the limit); 401
 *   and 403 when it is guarded; 413 and 415 when its method carries a body. All in the error shape.
 */
import type { FastifyInstance } from 'fastify';
import { errorBodySchema } from '../domain/api/errors';
import { guardOf, type GuardSpec } from './auth/guard';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a credential (documented with `security: []`). */
    open?: boolean;
  }
}

/** Statuses the server may answer on any route before the route runs. */
export const ANY_ROUTE_STATUSES = [400, 408, 414, 431] as const;
/** Methods whose body Fastify reads (and so may refuse as too large or of the wrong type). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface RouteContractOptions {
  /** URL prefixes served open by plugins that take no route options (the API document's page). */
  openPrefixes?: readonly string[];
}

export function installRouteContract(app: FastifyInstance, options: RouteContractOptions = {}): void {
  const openPrefixes = options.openPrefixes ?? [];
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map((method) => method.toUpperCase());
    const spec = guardOf(route.onRequest);
    // A CORS preflight (`OPTIONS`) carries no credential by design: it is open.
    const preflight = methods.every((method) => method === 'OPTIONS');
    const open = route.config?.open === true || preflight || openPrefixes.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`));
    if (!spec && !open) {
      throw new Error(`route ${methods.join(',')} ${route.url} has no authentication: give it onRequest: guard(...), or config: { open: true }`);
    }
    if (spec && open) throw new Error(`route ${methods.join(',')} ${route.url} is marked open but has a guard`);

    const schema = (route.schema ??= {}) as { security?: unknown; response?: Record<string, unknown> };
    schema.security = spec ? security(spec) : [];
    const statuses: number[] = [...ANY_ROUTE_STATUSES];
    if (spec) statuses.push(401, 403);
    if (methods.some((method) => BODY_METHODS.has(method))) statuses.push(413, 415);
    const response = (schema.response ??= {});
    for (const status of statuses) {
      if (!(status in response)) response[status] = errorBodySchema;
    }
  });
}

/** OpenAPI security requirements of a guard: the bearer credential (roles: the caller kinds it
 * admits, as OpenAPI 3.1 allows for non-OAuth schemes), or the same credential as `?access_token=`. */
function security(spec: GuardSpec): Record<string, string[]>[] {
  const roles = [...spec.kinds];
  return spec.queryToken ? [{ bearer: roles }, { access_token: roles }] : [{ bearer: roles }];
}

export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An app key (role `app`), a runtime token (role `runtime`) or the admin key (role `admin`); each operation lists the roles it admits. ' +
      'No credential, or one that is not valid, answers 401; a valid credential of a kind the operation does not admit answers 403.',
  },
  access_token: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The same credential as a query parameter, for browser streams (EventSource and WebSocket cannot set headers)',
  },
} as const;
