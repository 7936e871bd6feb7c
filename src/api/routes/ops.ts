/**
 * The ops autopilot over HTTP (admin key): policies per app (and the stored default), incidents
 * with filters, and the approve/reject decisions a waiting remediation receives as signals.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { decisionBody, decisionView, incidentList, incidentParams, incidentQuery, type incidentView, policyParams, policyView } from '../../domain/api/ops';
import { errorResponses } from '../../domain/api/errors';
import { opsPolicyOverridesSchema, type IncidentDoc } from '../../domain/ops';
import { Incidents } from '../../stores/incidents';
import { OpsPolicies } from '../../stores/ops-policies';
import { approveSignal, rejectSignal } from '../../workflows/ops-contract';
import { callerOf, guard } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['ops'];

export function opsRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);
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
    onRequest: admin,
    schema: {
      tags,
      summary: "Replace an app's ops policy overrides (thresholds, windows, actions, autonomy per rule, monthly budget)",
      params: policyParams,
      body: opsPolicyOverridesSchema,
      response: { 200: policyView, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const appId = request.params.app_id;
    const effective = await policies.put(appId, request.body, callerOf(request).actor.actor_id, runtime.now());
    return { app_id: appId, overrides: request.body, effective };
  });

  app.get('/v1/ops/incidents', {
    onRequest: admin,
    schema: { tags, summary: 'Incidents, newest first, by app, status and rule', querystring: incidentQuery, response: { 200: incidentList, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const { app_id: appId, status, rule, limit } = request.query;
    const docs = await incidents.list({ limit, ...(appId ? { app_id: appId } : {}), ...(status ? { status } : {}), ...(rule ? { rule } : {}) });
    return { incidents: docs.map(view) };
  });

  for (const kind of ['approve', 'reject'] as const) {
    app.post(`/v1/ops/incidents/:id/${kind}`, {
      onRequest: admin,
      schema: {
        tags,
        summary: kind === 'approve' ? 'Approve the action an incident proposes' : 'Reject it (nothing is applied)',
        params: incidentParams,
        body: decisionBody,
        response: { 202: decisionView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    }, async (request, reply) => {
      const incidentId = request.params.id;
      const [, appId = ''] = incidentId.split(':');
      const doc = await incidents.get(appId, incidentId);
      if (!doc) throw new HttpError(404, 'not_found', `no incident '${incidentId}'`);
      if (doc.status !== 'awaiting_approval') {
        throw new HttpError(409, 'not_awaiting_approval', `incident '${incidentId}' is ${doc.status}, not awaiting approval`);
      }
      const runId = incidentId.slice(doc.workflow_id.length + 1);
      const decider = { actor: callerOf(request).actor.actor_id, ...(request.body?.note ? { note: request.body.note } : {}) };
      await runtime.temporal.workflow.getHandle(doc.workflow_id, runId).signal(kind === 'approve' ? approveSignal : rejectSignal, decider);
      return reply.status(202).send({ incident_id: incidentId, signalled: kind });
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
