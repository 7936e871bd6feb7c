/** `/v1/apps…` (admin): create an app (its key shown once), read and change it, rotate its key. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { AuditAction } from '../../domain/audit';
import { appIdParams, appKeyView, appView, createAppBody, createdAppView, patchAppBody } from '../../domain/api/apps';
import { errorResponses } from '../../domain/api/errors';
import { AppExistsError, toState, type AppDoc } from '../../stores/app-registry';
import { digestAppKey, generateAppKey } from '../auth/app-keys';
import { callerOf, guard } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['apps'];

export function appRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);

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

  app.get('/v1/apps/:app_id', {
    onRequest: admin,
    schema: { tags, summary: 'Read an app', params: appIdParams, response: { 200: appView, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => view(await found(runtime, request.params.app_id)));

  app.patch('/v1/apps/:app_id', {
    onRequest: admin,
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
    await auditAppChange(runtime, request, doc.app_id, 'update', { changed: Object.keys(request.body).sort().join(',') });
    return view(doc);
  });

  app.post('/v1/apps/:app_id/keys/rotate', {
    onRequest: admin,
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
}

async function found(runtime: ApiRuntime, appId: string): Promise<AppDoc> {
  const doc = await runtime.apps.get(appId);
  if (!doc) throw notFound(appId);
  return doc;
}

const notFound = (appId: string) => new HttpError(404, 'not_found', `app '${appId}' not found`);

function view(doc: AppDoc): z.infer<typeof appView> {
  return {
    app_id: doc.app_id,
    name: doc.name,
    tier: doc.tier,
    limits: toState(doc).limits,
    limit_overrides: doc.limit_overrides,
    paused: doc.paused,
    ...(doc.identity_provider ? { identity_provider: doc.identity_provider } : {}),
    allowed_origins: doc.allowed_origins ?? [],
    key_rotated_at: doc.key_rotated_at.toISOString(),
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

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
