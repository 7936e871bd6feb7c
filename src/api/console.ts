/**
 * The console (issue 19), served by the API at `/console`: the files Vite built from console/ into
 * dist/console/ (`npm run console:build`, run by setup when console/ changed). A small static
 * handler, not a plugin: the built tree is a handful of files with hashed names. The routes are
 * open (the page itself holds nothing; every data call it makes is authenticated) and hidden from
 * the API document. When the assets are not built the console answers a page saying how to build
 * them, not a bare 404.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../domain/api/errors';
import { digestAppKey } from './auth/app-keys';
import { resolveKey, unauthorized, type Caller } from './auth/caller';
import {
  assertCsrf,
  assertSameOrigin,
  clearSessionCookie,
  ConsoleSessions,
  sessionIdOf,
  setSessionCookie,
  type ConsoleSessionRecord,
} from './auth/console-session';
import { HttpError } from './errors';
import type { ApiRuntime } from './runtime';

export const CONSOLE_PREFIX = '/console';
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '../../dist/console');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Same-origin scripts and styles only; no framing; nothing the page loads may leak the URL. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tessera console: not built</title></head>
<body><main><h1>The console is not built</h1>
<p>This API serves the console from <code>dist/console/</code>, which is empty. Build it with
<code>npm run console:build</code> (<code>npm run setup</code>, <code>npm start</code> and
<code>npm test</code> build it whenever <code>console/</code> changed), then reload.</p></main></body></html>
`;

export interface ConsoleOptions {
  /** The built assets (default: dist/console/ of this checkout). */
  dir?: string;
}

export function consoleRoutes(app: FastifyInstance, options: ConsoleOptions = {}, runtime?: ApiRuntime): void {
  const dir = path.resolve(options.dir ?? DEFAULT_CONSOLE_DIR);
  if (runtime) consoleSessionRoutes(app, runtime);
  const statuses = { ...errorResponses(404) };

  app.get(CONSOLE_PREFIX, { config: { open: true }, schema: { hide: true, response: statuses } }, async (_request, reply) =>
    reply.redirect(`${CONSOLE_PREFIX}/`, 302),
  );
  app.get(`${CONSOLE_PREFIX}/`, { config: { open: true }, schema: { hide: true, response: statuses } }, async (_request, reply) =>
    sendIndex(dir, reply),
  );
  app.get(`${CONSOLE_PREFIX}/*`, { config: { open: true }, schema: { hide: true, response: statuses } }, async (request, reply) => {
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    // Files Vite emitted (hashed names under assets/, or public files at the top): served as they are.
    if (rest.includes('.')) return sendFile(dir, rest, reply);
    // Anything else is a page of the single-page app (a client-side route): the index.
    return sendIndex(dir, reply);
  });
}

async function sendIndex(dir: string, reply: FastifyReply): Promise<FastifyReply> {
  let html: Buffer;
  try {
    html = await fs.readFile(path.join(dir, 'index.html'));
  } catch {
    return reply.code(503).headers({ ...PAGE_HEADERS, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' }).send(NOT_BUILT);
  }
  return reply.headers({ ...PAGE_HEADERS, 'cache-control': 'no-cache', 'content-type': 'text/html; charset=utf-8' }).send(html);
}

async function sendFile(dir: string, rest: string, reply: FastifyReply): Promise<FastifyReply> {
  const file = path.resolve(dir, rest);
  const type = TYPES[path.extname(file).toLowerCase()];
  if (!file.startsWith(`${dir}${path.sep}`) || path.basename(file).startsWith('.') || !type) throw notFound(rest);
  let body: Buffer;
  try {
    body = await fs.readFile(file);
  } catch {
    throw notFound(rest);
  }
  // Vite names what it emits under assets/ by content: those never change.
  const cache = rest.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  return reply.headers({ ...PAGE_HEADERS, 'cache-control': cache, 'content-type': type }).send(body);
}

const notFound = (rest: string) => new HttpError(404, 'not_found', `no console file '${rest}'`);

const signInBody = z.strictObject({ key: z.string().min(1).max(8192) });
const sessionView = z.object({
  kind: z.enum(['admin', 'app']),
  app_id: z.string().optional(),
  csrf_token: z.string(),
  expires_at: z.iso.datetime(),
});

/**
 * The console's session routes, open (they check the key or the cookie themselves) and hidden:
 *
 * - `POST /console/api/session` `{key}`: 200 with the session (and its cookie); 400 a body that is
 *   not `{key}`; 401 a key the API does not take; 403 a request from another origin.
 * - `GET /console/api/session`: 200 the signed-in session (its CSRF token for the page); 401 none.
 * - `POST /console/api/sign-out`: 204, the session deleted in Redis and the cookie cleared; 401 no
 *   session; 403 without the session's CSRF token or from another origin.
 */
function consoleSessionRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
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

  app.post('/console/api/session', {
    config: { open: true },
    schema: { hide: true, body: signInBody, response: { 200: sessionView, ...errorResponses(400, 401, 403) } },
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

  app.get('/console/api/session', {
    config: { open: true },
    schema: { hide: true, response: { 200: sessionView, ...errorResponses(401) } },
  }, async (request, reply) => {
    const { record } = await current(request);
    void reply.header('cache-control', 'no-store');
    return view(record);
  });

  app.post('/console/api/sign-out', {
    config: { open: true },
    schema: { hide: true, response: { 204: z.null(), ...errorResponses(401, 403) } },
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
