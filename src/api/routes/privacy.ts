/**
 * `DELETE /v1/apps/:app_id/users/:user_id` (admin, or the app's own key): erases the user's chats
 * from MongoDB and Redis and their pseudonym's rows from ClickHouse; audited in the app's chain
 * under the pseudonym (the audit log never names the erased user).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { erasedView, eraseParams } from '../../domain/api/analytics';
import { errorResponses } from '../../domain/api/errors';
import { eraseAnalyticsUser } from '../../stores/analytics-queries';
import { eraseUserRecords } from '../../stores/user-erasure';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import { requireAnalytics } from '../analytics-runtime';
import type { ApiRuntime } from '../runtime';

export function privacyRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.delete('/v1/apps/:app_id/users/:user_id', {
    onRequest: guard(runtime, ['app', 'admin']),
    schema: {
      tags: ['privacy'],
      summary: "Erase a user's transcripts and sessions, and their analytics rows",
      params: eraseParams,
      response: { 200: erasedView, ...errorResponses(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    const { app_id: appId, user_id: userId } = request.params;
    const caller = callerOf(request);
    if (caller.kind !== 'admin' && caller.kind === 'app' && caller.appId !== appId) {
      await refuse(runtime, request, { type: 'app', id: appId }, 'erasure in another app');
    }
    if (!(await runtime.apps.get(appId))) throw new HttpError(404, 'not_found', `app '${appId}' not found`);
    const analytics = requireAnalytics(runtime);
    const pseudonym = analytics.pseudonymize(appId, userId);
    const mongo = await eraseUserRecords(runtime.mongo, runtime.redis, { appId, userId, pseudonym });
    const clickhouse = await eraseAnalyticsUser(analytics.clickhouse, appId, pseudonym);
    await runtime.audit.appendAuditEvent({
      event_id: `audit:erase:${appId}:${randomUUID()}`,
      app_id: appId,
      ts: runtime.now().toISOString(),
      actor: caller.actor,
      action: 'delete',
      resource: { type: 'user', id: pseudonym },
      outcome: 'success',
      details: { ...mongo, ...Object.fromEntries(Object.entries(clickhouse).map(([t, n]) => [`clickhouse_${t}`, n])) },
    });
    return { app_id: appId, user_pseudonym: pseudonym, mongo, clickhouse };
  });
}
