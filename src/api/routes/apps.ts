/**
 * `/v1/apps…`: create an app (its key shown once), list the apps, read and change one, rotate its
 * key (admin); an app key, or its console session, reads its own app only (another app is 404, as
 * every cross-app read). The console's Apps page changes an app (settings, pause and resume) and
 * rotates its key with the admin's session, so those two routes take the cookie (`consoleWrites`,
 * the CSRF token and the origin checked).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AuditAction } from '../../domain/audit';
import {
  appDetailView,
  appIdParams,
  appKeyView,
  appListQuery,
  appListView,
  appView,
  createAppBody,
  createdAppView,
  decodeAppCursor,
  encodeAppCursor,
  patchAppBody,
} from '../../domain/api/apps';
import { errorResponses } from '../../domain/api/errors';
import { listAppPage } from '../../stores/app-list';
import { AppExistsError, type AppDoc } from '../../stores/app-registry';
import { OpsPolicies } from '../../stores/ops-policies';
import { AppDetails, appSettingsView as view } from '../app-detail';
import { digestAppKey, generateAppKey } from '../auth/app-keys';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';
import { opsThrottleRoutes } from './ops-throttle';

const tags = ['apps'];

export function appRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);
  const adminOrConsole = guard(runtime, ['admin'], { consoleWrites: true });
  const adminOrOwner = guard(runtime, ['admin', 'app']);
  const details = new AppDetails(runtime.redis, new OpsPolicies(runtime.mongo, runtime.redis));

  app.post('/v1/apps', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Create an app; its key is shown once',
      body: createAppBody,
      response: { 201: createdAppView, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const apiKey = generateAppKey(request.body.app_id);
    const now = runtime.now();
    let doc: AppDoc;
    try {
      doc = await runtime.apps.create(request.body, digestAppKey(runtime.secrets.keyPepper, apiKey), now);
    } catch (error) {
      if (error instanceof AppExistsError) throw new HttpError(409, 'app_exists', error.message);
      throw error;
    }
    await auditAppChange(runtime, request, doc.app_id, 'create', { tier: doc.tier });
    return reply.status(201).send({ ...view(doc), api_key: apiKey });
  });

  app.get('/v1/apps', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'The apps, newest first or by app id, in cursor pages: settings, ops levers in force, monthly budget',
      querystring: appListQuery,
      response: { 200: appListView, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { order, limit, cursor } = request.query;
    const after = cursor === undefined ? undefined : decodeAppCursor(cursor, order);
    if (cursor !== undefined && !after) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API issued for this order (pass a page `next_cursor` as it is)');
    const docs = await listAppPage(runtime.mongo, { order, limit: limit + 1, ...(after ? { after } : {}) });
    const page = docs.slice(0, limit);
    const last = page.at(-1);
    const now = runtime.now();
    return {
      apps: await Promise.all(page.map((doc) => details.view(doc, now))),
      next_cursor: docs.length > limit && last ? encodeAppCursor({ order, created_at: last.created_at, app_id: last.app_id }) : null,
    };
  });

  app.get('/v1/apps/:app_id', {
    onRequest: adminOrOwner,
    schema: {
      tags,
      summary: 'Read an app: settings, ops levers in force, monthly budget (an app key: its own app only)',
      params: appIdParams,
      response: { 200: appDetailView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const appId = request.params.app_id;
    if (caller.kind === 'app' && caller.appId !== appId) await refuse(runtime, request, { type: 'app', id: appId }, 'another app');
    return details.view(await found(runtime, appId), runtime.now());
  });

  app.patch('/v1/apps/:app_id', {
    onRequest: adminOrConsole,
    schema: {
      tags,
      summary: 'Change an app: name, tier, limits, pause, identity provider, allowed origins',
      params: appIdParams,
      body: patchAppBody,
      response: { 200: appView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const doc = await runtime.apps.update(request.params.app_id, request.body, runtime.now());
    if (!doc) throw notFound(request.params.app_id);
    const changed = { changed: Object.keys(request.body).sort().join(','), ...(request.body.paused !== undefined ? { paused: request.body.paused } : {}) };
    await auditAppChange(runtime, request, doc.app_id, 'update', changed);
    return view(doc);
  });

  app.post('/v1/apps/:app_id/keys/rotate', {
    onRequest: adminOrConsole,
    schema: {
      tags,
      summary: 'Issue a new app key; the old one is refused from now on',
      params: appIdParams,
      response: { 200: appKeyView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const apiKey = generateAppKey(request.params.app_id);
    const doc = await runtime.apps.rotateKey(request.params.app_id, digestAppKey(runtime.secrets.keyPepper, apiKey), runtime.now());
    if (!doc) throw notFound(request.params.app_id);
    await auditAppChange(runtime, request, doc.app_id, 'update', { key_rotated: true });
    return { app_id: doc.app_id, api_key: apiKey };
  });

  // The hand-set throttle the Apps page pairs with pause and resume (`/v1/ops/apps/:app_id/throttle`).
  opsThrottleRoutes(scope, runtime);
}

async function found(runtime: ApiRuntime, appId: string): Promise<AppDoc> {
  const doc = await runtime.apps.get(appId);
  if (!doc) throw notFound(appId);
  return doc;
}

const notFound = (appId: string) => new HttpError(404, 'not_found', `app '${appId}' not found`);

async function auditAppChange(
  runtime: ApiRuntime,
  request: FastifyRequest,
  appId: string,
  action: AuditAction,
  details: Record<string, string | boolean>,
): Promise<void> {
  const caller = callerOf(request);
  await runtime.audit.appendAuditEvent({
    event_id: `audit:${action}:app:${appId}:${randomUUID()}`,
    app_id: appId,
    ts: runtime.now().toISOString(),
    actor: caller.actor,
    action,
    resource: { type: 'app', id: appId },
    outcome: 'success',
    details,
  });
}
