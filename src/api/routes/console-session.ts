/**
 * The console's session (issue 19; DESIGN §5 `POST`/`DELETE /v1/console/session`): the admin key or
 * an app key exchanged for an `HttpOnly`, `SameSite=Strict` cookie (src/api/auth/console-session.ts).
 * The routes are open in the document's terms: sign-in takes the key in its body, and the other two
 * take the session cookie, which is no bearer credential.
 *
 * - `POST /v1/console/session` `{key}`: 200 the session (and its cookie); 400 a body that is not
 *   `{key}`; 401 a key the API does not take; 403 a request from another origin.
 * - `GET /v1/console/session`: 200 the signed-in session (its CSRF token for the page); 401 none.
 * - `DELETE /v1/console/session`: 204, the session deleted in Redis and the cookie cleared; 401 no
 *   session; 403 without the session's CSRF token or from another origin.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../../domain/api/errors';
import { digestAppKey } from '../auth/app-keys';
import { resolveKey, unauthorized, type Caller } from '../auth/caller';
import {
  assertCsrf,
  assertSameOrigin,
  clearSessionCookie,
  CONSOLE_COOKIE,
  ConsoleSessions,
  CSRF_HEADER,
  sessionIdOf,
  setSessionCookie,
  type ConsoleSessionRecord,
} from '../auth/console-session';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

export const CONSOLE_SESSION_PATH = '/v1/console/session';

const tags = ['console'];

const signInBody = z.strictObject({ key: z.string().min(1).max(8192).describe('The admin key or an app key; kept nowhere') });
const sessionView = z.object({
  kind: z.enum(['admin', 'app']),
  app_id: z.string().optional().describe('The app of an app key’s session'),
  csrf_token: z.string().describe(`Sent back in \`${CSRF_HEADER}\` on every console call that changes state`),
  expires_at: z.iso.datetime(),
});

export function consoleSessionRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const sessions = new ConsoleSessions(runtime.redis);
  const view = (record: ConsoleSessionRecord) => ({
    kind: record.kind,
    ...(record.kind === 'app' ? { app_id: record.app_id } : {}),
    csrf_token: record.csrf,
    expires_at: new Date(Date.parse(record.created_at) + sessions.maxAgeSeconds * 1000).toISOString(),
  });
  const current = async (request: FastifyRequest) => {
    const id = sessionIdOf(request);
    const record = id === undefined ? null : await sessions.get(id);
    if (id === undefined || !record) throw unauthorized('not signed in to the console');
    return { id, record };
  };

  app.post(CONSOLE_SESSION_PATH, {
    config: { open: true },
    schema: {
      tags,
      summary: `Sign in to the console: the key exchanged for an HttpOnly, SameSite=Strict session cookie (\`${CONSOLE_COOKIE}\`, 8 hours)`,
      body: signInBody,
      response: { 200: sessionView, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    assertSameOrigin(request);
    let caller: Caller;
    try {
      caller = await resolveKey(request, runtime, request.body.key);
    } catch (error) {
      if (error instanceof HttpError && error.statusCode === 401) throw unauthorized('the admin key or an app key is required');
      throw error;
    }
    const who =
      caller.kind === 'app'
        ? { kind: 'app' as const, app_id: caller.appId, key_digest: caller.app.key_digest }
        : { kind: 'admin' as const, key_digest: digestAppKey(runtime.secrets.keyPepper, runtime.secrets.adminKey) };
    const { id, record } = await sessions.create(who, runtime.now());
    await auditSession(runtime, caller, id, 'create');
    setSessionCookie(request, reply, id, sessions.maxAgeSeconds);
    void reply.header('cache-control', 'no-store');
    return view(record);
  });

  app.get(CONSOLE_SESSION_PATH, {
    config: { open: true },
    schema: { tags, summary: 'The console session the cookie names, with its CSRF token', response: { 200: sessionView, ...errorResponses(401) } },
  }, async (request, reply) => {
    const { record } = await current(request);
    void reply.header('cache-control', 'no-store');
    return view(record);
  });

  app.delete(CONSOLE_SESSION_PATH, {
    config: { open: true },
    schema: {
      tags,
      summary: `Sign out of the console: the session ends and its cookie is cleared (the session's \`${CSRF_HEADER}\` and the API's own origin required)`,
      response: { 204: z.null(), ...errorResponses(401, 403) },
    },
  }, async (request, reply) => {
    const { id, record } = await current(request);
    assertSameOrigin(request);
    assertCsrf(request, record);
    await sessions.delete(id);
    if (record.kind === 'admin') {
      await auditSession(runtime, { kind: 'admin', actor: { actor_id: 'admin', roles: ['admin'], app_id: '_system', via: 'admin_key' } }, id, 'delete');
    } else {
      const state = await runtime.apps.state(record.app_id);
      const actor = { actor_id: `app:${record.app_id}`, roles: ['app'], app_id: record.app_id, via: 'app_key' as const };
      if (state) await auditSession(runtime, { kind: 'app', appId: state.app_id, app: state, actor }, id, 'delete');
    }
    clearSessionCookie(request, reply);
    return reply.code(204).send(null);
  });
}

/** Sign-in and sign-out go into the caller's own audit chain (the admin's: `_system`). The session is
 * named by a short digest of its id, never the id. */
async function auditSession(runtime: ApiRuntime, caller: Caller, id: string, action: 'create' | 'delete'): Promise<void> {
  const appId = caller.kind === 'admin' ? '_system' : caller.appId;
  await runtime.audit.appendAuditEvent({
    event_id: `audit:console_session:${action}:${randomUUID()}`,
    app_id: appId,
    ts: runtime.now().toISOString(),
    actor: caller.actor,
    action,
    resource: { type: 'console_session', id: createHash('sha256').update(id).digest('base64url').slice(0, 16) },
    outcome: 'success',
  });
}
