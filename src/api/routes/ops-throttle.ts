/**
 * A throttle applied by hand (admin; the console's Apps page with its session): the same lever the
 * autopilot's throttle playbook pulls (src/activities/ops/actions.ts) — the app's limits and
 * fairness weight times a factor, read by the admission script on every replica — with an expiry
 * of its own (the Redis key's TTL, so it lets go even if nobody lifts it), audited in the app's
 * chain. Lifting it clears the lever whoever set it; an autopilot remediation that ends its own
 * throttle clears a hand-set one too (one lever per app).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appIdParams, throttleBody, throttleView } from '../../domain/api/apps';
import { errorResponses } from '../../domain/api/errors';
import { OpsControls } from '../../stores/ops-controls';
import { MANUAL_THROTTLE_PREFIX } from '../app-detail';
import { callerOf, guard } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['ops'];
const PATH = '/v1/ops/apps/:app_id/throttle';

export function opsThrottleRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin'], { consoleWrites: true });
  const controls = new OpsControls(runtime.redis);

  app.post(PATH, {
    onRequest: admin,
    schema: {
      tags,
      summary: "Throttle an app by hand: its limits and fairness weight times `factor` for `minutes` (the autopilot's throttle lever), audited",
      params: appIdParams,
      body: throttleBody,
      response: { 200: throttleView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const appId = await existing(runtime, request.params.app_id);
    const { factor, minutes, reason } = request.body;
    const ttlMs = minutes * 60_000;
    await controls.throttle(appId, { factor, incident_id: `${MANUAL_THROTTLE_PREFIX}${randomUUID()}` }, ttlMs);
    const expiresAt = new Date(runtime.now().getTime() + ttlMs).toISOString();
    await auditThrottle(runtime, request, appId, 'update', { factor, minutes, reason, expires_at: expiresAt });
    return { app_id: appId, factor, expires_at: expiresAt };
  });

  app.delete(PATH, {
    onRequest: admin,
    schema: {
      tags,
      summary: "Lift an app's throttle (hand-set or the autopilot's), audited; idempotent",
      params: appIdParams,
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const appId = await existing(runtime, request.params.app_id);
    await controls.clear(appId, 'throttle');
    await auditThrottle(runtime, request, appId, 'delete', {});
    return reply.code(204).send(null);
  });
}

async function existing(runtime: ApiRuntime, appId: string): Promise<string> {
  if (!(await runtime.apps.get(appId))) throw new HttpError(404, 'not_found', `app '${appId}' not found`);
  return appId;
}

async function auditThrottle(
  runtime: ApiRuntime,
  request: FastifyRequest,
  appId: string,
  action: 'update' | 'delete',
  details: Record<string, string | number>,
): Promise<void> {
  await runtime.audit.appendAuditEvent({
    event_id: `audit:${action}:ops_throttle:${appId}:${randomUUID()}`,
    app_id: appId,
    ts: runtime.now().toISOString(),
    actor: callerOf(request).actor,
    action,
    resource: { type: 'ops_throttle', id: appId },
    outcome: 'success',
    details: { ...details, request_id: String(request.id) },
  });
}
