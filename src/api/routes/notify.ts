/**
 * Notifications over HTTP:
 * - `PUT`/`GET`/`DELETE /v1/ops/channels[/:name]` (admin): the channels routes name (signed
 *   webhook, Slack-compatible webhook, SMTP e-mail). Secrets are write-only: stored encrypted
 *   (`TESSERA_NOTIFY_KEY`), never returned (`secret_set` says whether one is stored), never logged
 *   or audited.
 * - `GET /v1/ops/notifications` (admin: any app; an app key: its own): the delivery record.
 * - `GET`/`POST /v1/ops/decisions?token=` (open, for people, HTML): the approve/reject links of a
 *   message (./decision-links.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { errorResponses } from '../../domain/api/errors';
import { channelBody, channelList, channelParams, channelRemoved, channelView, notificationList, notificationQuery, type ChannelBody } from '../../domain/api/notify';
import type { ChannelDoc, NotificationDoc } from '../../domain/ops';
import { GLOBAL_CHANNEL_SCOPE, Notifications, NotifyChannels } from '../../stores/notifications';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';
import { assertWebhookHostResolves } from '../webhook-target';
import { decisionLinkRoutes } from './decision-links';

const tags = ['ops'];

export function notifyRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);
  const adminOrApp = guard(runtime, ['admin', 'app']);
  const channels = new NotifyChannels(runtime.mongo);
  const records = new Notifications(runtime.mongo, runtime.redis);

  app.put('/v1/ops/channels/:name', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Create or replace a notification channel (secrets are write-only)',
      params: channelParams,
      body: channelBody,
      response: { 200: channelView, ...errorResponses(400, 401, 403, 503) },
    },
  }, async (request) => {
    const { name } = request.params;
    const body = request.body;
    const secret = body.type === 'webhook' ? body.secret : body.type === 'email' ? body.smtp.password : undefined;
    if (secret !== undefined && !runtime.notify) {
      throw new HttpError(503, 'notify_key_unset', 'channel secrets are stored encrypted: set TESSERA_NOTIFY_KEY on the API and the ops worker');
    }
    if (body.type !== 'email') await assertWebhookHostResolves(body.url);
    const actor = callerOf(request).actor;
    const doc = channelDoc(name, body, secret === undefined ? undefined : runtime.notify!.keys.encrypt(secret), actor.actor_id, runtime.now());
    await channels.put(doc);
    await runtime.audit.appendAuditEvent({
      event_id: `notify-channel:${name}:${randomUUID()}`,
      app_id: GLOBAL_CHANNEL_SCOPE,
      ts: runtime.now().toISOString(),
      actor,
      action: 'update',
      resource: { type: 'notify_channel', id: name },
      outcome: 'success',
      details: { type: body.type, enabled: doc.enabled, secret_set: doc.secret_enc !== undefined },
    });
    return view(doc);
  });

  app.get('/v1/ops/channels', {
    onRequest: admin,
    schema: { tags, summary: 'Notification channels (secrets never returned)', response: { 200: channelList, ...errorResponses(400, 401, 403) } },
  }, async () => ({ channels: (await channels.list()).map(view) }));

  app.delete('/v1/ops/channels/:name', {
    onRequest: admin,
    schema: { tags, summary: 'Remove a notification channel', params: channelParams, response: { 200: channelRemoved, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => {
    if (!(await channels.remove(request.params.name))) throw new HttpError(404, 'not_found', `no channel '${request.params.name}'`);
    await runtime.audit.appendAuditEvent({
      event_id: `notify-channel:${request.params.name}:${randomUUID()}`,
      app_id: GLOBAL_CHANNEL_SCOPE,
      ts: runtime.now().toISOString(),
      actor: callerOf(request).actor,
      action: 'delete',
      resource: { type: 'notify_channel', id: request.params.name },
      outcome: 'success',
    });
    return { name: request.params.name, removed: true as const };
  });

  app.get('/v1/ops/notifications', {
    onRequest: adminOrApp,
    schema: {
      tags,
      summary: 'The delivery record: every notification on every channel, with its status, attempts and last error, newest first',
      querystring: notificationQuery,
      response: { 200: notificationList, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const { app_id: asked, incident_id: incidentId, status, channel, limit } = request.query;
    let appId = asked;
    if (caller.kind === 'app') {
      if (asked !== undefined && asked !== caller.appId) await refuse(runtime, request, { type: 'app', id: asked }, 'notifications of another app');
      appId = caller.appId;
    }
    const docs = await records.list({ limit, ...(appId ? { app_id: appId } : {}), ...(incidentId ? { incident_id: incidentId } : {}), ...(status ? { status } : {}), ...(channel ? { channel } : {}) });
    return { notifications: docs.map(recordView) };
  });

  decisionLinkRoutes(scope, runtime);
}

function channelDoc(name: string, body: ChannelBody, secretEnc: string | undefined, actor: string, now: Date): ChannelDoc {
  const base = { app_id: GLOBAL_CHANNEL_SCOPE, name, type: body.type, enabled: body.enabled, updated_at: now, updated_by: actor, ...(secretEnc ? { secret_enc: secretEnc } : {}) };
  if (body.type === 'email') {
    const { password: _password, ...smtp } = body.smtp;
    return { ...base, smtp, from: body.from, to: body.to };
  }
  return { ...base, url: body.url, allow_private_addresses: body.allow_private_addresses };
}

function view(doc: ChannelDoc): z.infer<typeof channelView> {
  return {
    name: doc.name,
    type: doc.type,
    enabled: doc.enabled,
    ...(doc.url !== undefined ? { url: doc.url } : {}),
    ...(doc.allow_private_addresses !== undefined ? { allow_private_addresses: doc.allow_private_addresses } : {}),
    ...(doc.smtp ? { smtp: doc.smtp } : {}),
    ...(doc.from !== undefined ? { from: doc.from } : {}),
    ...(doc.to ? { to: doc.to } : {}),
    secret_set: doc.secret_enc !== undefined,
    updated_at: doc.updated_at.toISOString(),
    updated_by: doc.updated_by,
  };
}

function recordView(doc: NotificationDoc): z.infer<typeof notificationList>['notifications'][number] {
  const { created_at: created, updated_at: updated, delivered_at: delivered, ...rest } = doc;
  return { ...rest, created_at: created.toISOString(), updated_at: updated.toISOString(), ...(delivered ? { delivered_at: delivered.toISOString() } : {}) };
}
