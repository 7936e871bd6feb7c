/**
 * The ops autopilot over HTTP: policies per app (and the stored default; admin), incidents with
 * filters in cursor pages and one incident with its timeline (admin: any app; an app key or its
 * console session: its own app, read-only), and the approve/reject decisions with a reason a
 * waiting remediation receives as signals (admin, also from the console with its CSRF token).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import {
  appOfIncident,
  decisionBody,
  decisionView,
  decodeIncidentCursor,
  encodeIncidentCursor,
  incidentDetail,
  incidentList,
  incidentParams,
  incidentQuery,
  incidentTimeline,
} from '../../domain/api/incidents';
import { policyParams, policyView, type incidentView } from '../../domain/api/ops';
import { errorResponses } from '../../domain/api/errors';
import { opsPolicyOverridesSchema, type IncidentDoc } from '../../domain/ops';
import { Incidents } from '../../stores/incidents';
import { Notifications } from '../../stores/notifications';
import { OpsPolicies } from '../../stores/ops-policies';
import { approveSignal, rejectSignal } from '../../workflows/ops-contract';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['ops'];

export function opsRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);
  const readers = guard(runtime, ['admin', 'app']);
  // The console's Incidents page decides with its session (CSRF token and origin checked).
  const decider = guard(runtime, ['admin'], { consoleWrites: true });
  // The console's Apps page sets an app's monthly budget with its session, as above.
  const policyWriter = guard(runtime, ['admin'], { consoleWrites: true });
  const notifications = new Notifications(runtime.mongo, runtime.redis);
  const policies = new OpsPolicies(runtime.mongo, runtime.redis);
  const incidents = new Incidents(runtime.mongo, runtime.redis);

  app.get('/v1/ops/policies/:app_id', {
    onRequest: admin,
    schema: { tags, summary: "An app's ops policy: stored overrides and the policy in force", params: policyParams, response: { 200: policyView, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const appId = request.params.app_id;
    return { app_id: appId, overrides: (await policies.overrides(appId)) ?? {}, effective: await policies.effective(appId) };
  });

  app.put('/v1/ops/policies/:app_id', {
    onRequest: policyWriter,
    schema: {
      tags,
      summary: "Replace an app's ops policy overrides (thresholds, windows, actions, autonomy per rule, monthly budget)",
      params: policyParams,
      body: opsPolicyOverridesSchema,
      response: { 200: policyView, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const appId = request.params.app_id;
    const actor = callerOf(request).actor;
    const effective = await policies.put(appId, request.body, actor.actor_id, runtime.now());
    // Audited as the apps routes audit a change: in the app's chain (the stored default: `_system`'s).
    await runtime.audit.appendAuditEvent({
      event_id: `audit:update:ops_policy:${appId}:${randomUUID()}`,
      app_id: appId === '_default' ? '_system' : appId,
      ts: runtime.now().toISOString(),
      actor,
      action: 'update',
      resource: { type: 'ops_policy', id: appId },
      outcome: 'success',
      details: { changed: Object.keys(request.body).sort().join(','), monthly_budget_usd: effective.monthly_budget_usd },
    });
    return { app_id: appId, overrides: request.body, effective };
  });

  app.get('/v1/ops/incidents', {
    onRequest: readers,
    schema: {
      tags,
      summary: 'Incidents, newest first, by app, status and rule, in cursor pages (an app key: its own app only)',
      querystring: incidentQuery,
      response: { 200: incidentList, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const { app_id: asked, status, rule, limit, cursor } = request.query;
    let appId = asked;
    if (caller.kind === 'app') {
      if (asked !== undefined && asked !== caller.appId) await refuse(runtime, request, { type: 'app', id: asked }, 'incidents of another app');
      appId = caller.appId;
    }
    const after = cursor === undefined ? undefined : decodeIncidentCursor(cursor);
    if (cursor !== undefined && !after) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API issued (pass a page `next_cursor` as it is)');
    const docs = await incidents.list({
      limit: limit + 1,
      ...(appId ? { app_id: appId } : {}),
      ...(status ? { status } : {}),
      ...(rule ? { rule } : {}),
      ...(after ? { after: { opened_at: new Date(after.opened_at), incident_id: after.incident_id } } : {}),
    });
    const page = docs.slice(0, limit);
    const last = page.at(-1);
    const next = docs.length > limit && last ? encodeIncidentCursor({ opened_at: last.opened_at.toISOString(), incident_id: last.incident_id }) : null;
    return { incidents: page.map(view), next_cursor: next };
  });

  app.get('/v1/ops/incidents/:id', {
    onRequest: readers,
    schema: {
      tags,
      summary: 'One incident with its timeline: detection, proposal, decisions (who, why), actions, reverts and the notifications sent (an app key: its own app only)',
      params: incidentParams,
      response: { 200: incidentDetail, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const incidentId = request.params.id;
    const appId = appOfIncident(incidentId);
    const caller = callerOf(request);
    if (caller.kind === 'app' && caller.appId !== appId) await refuse(runtime, request, { type: 'incident', id: incidentId }, 'an incident of another app');
    const doc = await incidents.get(appId, incidentId);
    if (!doc) throw new HttpError(404, 'not_found', `incident '${incidentId}' not found`);
    const sent = await notifications.list({ app_id: appId, incident_id: incidentId, limit: 500 });
    return { incident: view(doc), timeline: incidentTimeline(doc.steps, sent) };
  });

  for (const kind of ['approve', 'reject'] as const) {
    app.post(`/v1/ops/incidents/:id/${kind}`, {
      onRequest: decider,
      schema: {
        tags,
        summary: kind === 'approve'
          ? 'Approve the action an incident proposes, with a reason (recorded in its timeline and the audit log)'
          : 'Reject it, with a reason (nothing is applied)',
        params: incidentParams,
        body: decisionBody,
        response: { 202: decisionView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    }, async (request, reply) => {
      const incidentId = request.params.id;
      const doc = await incidents.get(appOfIncident(incidentId), incidentId);
      if (!doc) throw new HttpError(404, 'not_found', `no incident '${incidentId}'`);
      if (doc.status !== 'awaiting_approval') {
        throw new HttpError(409, 'not_awaiting_approval', `incident '${incidentId}' is ${doc.status}, not awaiting approval`);
      }
      const runId = incidentId.slice(doc.workflow_id.length + 1);
      // The workflow records the decider's note as the decision step's detail (and so in the audit chain).
      const reason = request.body?.reason ?? request.body?.note;
      const by = { actor: callerOf(request).actor.actor_id, ...(reason ? { note: reason } : {}) };
      await runtime.temporal.workflow.getHandle(doc.workflow_id, runId).signal(kind === 'approve' ? approveSignal : rejectSignal, by);
      return reply.status(202).send({ incident_id: incidentId, signalled: kind, ...(reason ? { reason } : {}) });
    });
  }
}

function view(doc: IncidentDoc): z.infer<typeof incidentView> {
  const { closed_at: closedAt, ...rest } = doc;
  return {
    ...rest,
    opened_at: doc.opened_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    ...(closedAt ? { closed_at: closedAt.toISOString() } : {}),
  };
}
