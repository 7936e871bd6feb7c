/**
 * `GET /v1/analytics/{engagement,errors,budget-forecast}`: active users and weekly retention,
 * failures grouped, and the month-end spend projection with the budget's run-out day. Same rules
 * as the other analytics reads: an app key reads its own app, the admin names `app_id`; 503
 * without ClickHouse.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { forecastBudget, isoWeekStart, monthBounds, ratio, retentionCohorts } from '../../domain/analytics';
import { engagementView, errorsView, forecastQuery, forecastView, insightQuery } from '../../domain/api/analytics';
import { errorResponses } from '../../domain/api/errors';
import { MAX_FAILURE_GROUPS, queryCost, queryEngagement, queryFailures } from '../../stores/analytics-insights';
import { Budgets, budgetScopes } from '../../stores/budgets';
import { requireAnalytics } from '../analytics-runtime';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['analytics'];

/** The app an analytics read is about: the key's own app, or the admin's `app_id`. */
export async function analyticsAppOf(runtime: ApiRuntime, request: FastifyRequest, appIdParam: string | undefined): Promise<string> {
  const caller = callerOf(request);
  if (caller.kind === 'admin') {
    if (!appIdParam) throw new HttpError(400, 'invalid_request', 'app_id is required with the admin key');
    return appIdParam;
  }
  const appId = caller.kind === 'app' ? caller.appId : '';
  if (appIdParam && appIdParam !== appId) await refuse(runtime, request, { type: 'app', id: appIdParam }, 'analytics of another app');
  return appId;
}

export function analyticsInsightRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const readers = guard(runtime, ['app', 'admin']);
  const responses = errorResponses(400, 401, 403, 404, 503);
  const budgets = new Budgets(runtime.redis);

  app.get('/v1/analytics/engagement', {
    onRequest: readers,
    schema: {
      tags,
      summary: 'Daily, weekly and monthly active users, sessions per user, turns per session, weekly retention cohorts',
      querystring: insightQuery,
      response: { 200: engagementView, ...responses },
    },
  }, async (request) => {
    const analytics = requireAnalytics(runtime);
    const q = request.query;
    const appId = await analyticsAppOf(runtime, request, q.app_id);
    const range = { from: Date.parse(q.from), to: Date.parse(q.to) };
    const e = await queryEngagement(analytics.clickhouse, appId, range);
    return {
      app_id: appId,
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      users: e.totals.users,
      sessions: e.totals.sessions,
      turns: e.totals.turns,
      sessions_per_user: ratio(e.totals.sessions, e.totals.users),
      turns_per_session: ratio(e.totals.turns, e.totals.sessions),
      daily_active_users: e.daily,
      weekly_active_users: e.weekly,
      monthly_active_users: e.monthly,
      retention: retentionCohorts(e.cohorts, isoWeekStart(range.to - 1)),
    };
  });

  app.get('/v1/analytics/errors', {
    onRequest: readers,
    schema: {
      tags,
      summary: `Failed turns and pack steps grouped by failure type, code, model and template (the ${MAX_FAILURE_GROUPS} largest groups)`,
      querystring: insightQuery,
      response: { 200: errorsView, ...responses },
    },
  }, async (request) => {
    const analytics = requireAnalytics(runtime);
    const q = request.query;
    const appId = await analyticsAppOf(runtime, request, q.app_id);
    const range = { from: Date.parse(q.from), to: Date.parse(q.to) };
    const { groups, truncated } = await queryFailures(analytics.clickhouse, appId, range);
    return {
      app_id: appId,
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      truncated,
      groups: groups.map(({ error_type, calls, ...g }) => ({ ...g, code: error_type, count: calls })),
    };
  });

  app.get('/v1/analytics/budget-forecast', {
    onRequest: readers,
    schema: {
      tags,
      summary: 'Month-to-date spend, its projection to month end, and the day the monthly budget runs out at the current rate',
      querystring: forecastQuery,
      response: { 200: forecastView, ...responses },
    },
  }, async (request) => {
    const analytics = requireAnalytics(runtime);
    const appId = await analyticsAppOf(runtime, request, request.query.app_id);
    const at = runtime.now();
    const { start } = monthBounds(at);
    const [status, cost] = await Promise.all([
      budgets.status(budgetScopes.appMonth(appId, at)),
      queryCost(analytics.clickhouse, appId, { from: start, to: at.getTime() + 1 }),
    ]);
    // The live budget counter, or the collected cost if larger (a counter lost with Redis).
    const spent = Math.max(status.spentNanos, cost.billed_cost_nanos);
    const f = forecastBudget({ at, spentNanos: spent, limitNanos: status.limitNanos });
    const usd = (nanos: number) => nanos / 1e9;
    return {
      app_id: appId,
      at: at.toISOString(),
      month: f.month,
      budget_usd: status.limitNanos === null ? null : usd(status.limitNanos),
      spent_usd: usd(spent),
      analytics_cost_usd: usd(cost.billed_cost_nanos),
      daily_rate_usd: usd(f.daily_rate_nanos),
      projected_month_end_usd: usd(f.projected_month_end_nanos),
      runs_out_on: f.runs_out_on,
      days_elapsed: f.days_elapsed,
      days_in_month: f.days_in_month,
    };
  });
}
