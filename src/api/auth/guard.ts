/**
 * Route guards: an `onRequest` hook that authenticates the caller for the kinds a route admits and
 * leaves it on the request (`request.caller`), and the refusal path every tenancy check shares.
 * `onRequest` runs before Fastify reads or validates the body and query, so a caller without a
 * valid credential is refused (401/403) before anything it sent is looked at. Each guard carries
 * what it admits (`guardOf`): the route contract (src/api/route-contract.ts) refuses to register a
 * route without one and documents the route's security from it.
 *
 * The console's session cookie (src/api/auth/console-session.ts) is the one other credential a
 * guard takes, as the key it was signed in with: on GET and HEAD, and on other methods only where
 * the guard says `consoleWrites` (then with the session's CSRF token and the API's own origin).
 * It resolves to the same admin or app caller, so every tenancy check applies unchanged.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';
import { authenticate, WrongCallerError, type AuthOptions, type Caller, type CallerKind } from './caller';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** What a guard admits, read back by the route contract. */
export interface GuardSpec {
  kinds: readonly CallerKind[];
  /** The credential may also come as `?access_token=`. */
  queryToken: boolean;
}

const GUARD_SPEC = Symbol('tessera.guard');

type Guard = onRequestAsyncHookHandler & { [GUARD_SPEC]: GuardSpec };

export function guard(runtime: ApiRuntime, kinds: readonly CallerKind[], options: AuthOptions = {}): Guard {
  const hook: onRequestAsyncHookHandler = async (request) => {
    try {
      request.caller = await authenticate(request, runtime, kinds, options);
    } catch (error) {
      if (error instanceof WrongCallerError) await auditRefusal(runtime, request, error.caller, { type: 'route', id: request.routeOptions.url ?? request.url }, error.message);
      throw error;
    }
  };
  return Object.assign(hook, { [GUARD_SPEC]: { kinds: [...kinds], queryToken: options.queryToken === true } });
}

/** The guard among a route's `onRequest` hooks, if it has one. */
export function guardOf(hooks: unknown): GuardSpec | undefined {
  for (const hook of [hooks].flat()) {
    if (typeof hook === 'function' && GUARD_SPEC in hook) return (hook as Guard)[GUARD_SPEC];
  }
  return undefined;
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error(`route ${request.routeOptions.url ?? request.url} has no guard`);
  return request.caller;
}

/**
 * Refuses a caller that reached for something outside its reach, and audits the refusal in the
 * caller's own app (who tried what). Another tenant's resource is reported as not found, never as
 * forbidden, so its existence does not leak.
 */
export async function refuse(
  runtime: ApiRuntime,
  request: FastifyRequest,
  resource: { type: string; id: string },
  reason: string,
): Promise<never> {
  await auditRefusal(runtime, request, callerOf(request), resource, reason);
  throw new HttpError(404, 'not_found', `${resource.type.replace('_', ' ')} '${resource.id}' not found`);
}

/** Writes a refusal into the caller's own audit chain: who tried what, and why it was refused. */
export async function auditRefusal(
  runtime: ApiRuntime,
  request: FastifyRequest,
  caller: Caller,
  resource: { type: string; id: string },
  reason: string,
): Promise<void> {
  const appId = caller.kind === 'admin' ? '_system' : caller.appId;
  await runtime.audit.appendAuditEvent({
    event_id: `audit:refusal:${randomUUID()}`,
    app_id: appId,
    ts: runtime.now().toISOString(),
    actor: caller.actor,
    action: 'read',
    resource,
    outcome: 'failure',
    details: { reason, method: request.method, route: request.routeOptions.url ?? '', request_id: String(request.id) },
  });
}
