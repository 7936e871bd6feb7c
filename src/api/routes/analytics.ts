/**
 * Analytics: `GET /v1/analytics/{cost,usage,performance}` (app key for its own app, or admin with
 * `app_id`), and — registered from here so the server adds one line — engagement, errors and the
 * budget forecast (analytics-insights), the ETL operations and the erasure of a user. All need ClickHouse; a process without it answers 503.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { co2eGrams } from '../../domain/analytics';
import { analyticsQuery, costView, performanceView, usageView } from '../../domain/api/analytics';
import { errorResponses } from '../../domain/api/errors';
import { queryAnalytics, type AnalyticsResult, type GroupBy } from '../../stores/analytics-queries';
import { requireAnalytics } from '../analytics-runtime';
import { guard } from '../auth/guard';
import type { ApiRuntime } from '../runtime';
import { analyticsInsightRoutes, analyticsAppOf } from './analytics-insights';
import { analyticsOpsRoutes } from './analytics-ops';
import { privacyRoutes } from './privacy';

const tags = ['analytics'];

export function analyticsRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const readers = guard(runtime, ['app', 'admin']);
  const responses = errorResponses(400, 401, 403, 404, 503);

  const read = async (request: FastifyRequest, q: z.infer<typeof analyticsQuery>) => {
    const analytics = requireAnalytics(runtime);
    const appId = await analyticsAppOf(runtime, request, q.app_id);
    const result = await queryAnalytics(analytics.clickhouse, {
      appId,
      range: { from: Date.parse(q.from), to: Date.parse(q.to) },
      groupBy: q.group_by as GroupBy,
    });
    return { analytics, result, head: head(appId, q, result) };
  };

  app.get('/v1/analytics/cost', {
    onRequest: readers,
    schema: { tags, summary: 'Cost per day, hour, model, template or user', querystring: analyticsQuery, response: { 200: costView, ...responses } },
  }, async (request) => {
    const { result, head: h } = await read(request, request.query);
    return {
      ...h,
      rows: result.rows.map((r) => ({
        key: r.key,
        calls: r.calls,
        cost_usd: r.cost_nanos / 1e9,
        cost_nanos: r.cost_nanos,
        billed_cost_nanos: r.billed_cost_nanos,
        unpriced_calls: r.unpriced_calls,
      })),
    };
  });

  app.get('/v1/analytics/usage', {
    onRequest: readers,
    schema: { tags, summary: 'Turns, calls, tokens, energy and CO2e', querystring: analyticsQuery, response: { 200: usageView, ...responses } },
  }, async (request) => {
    const { analytics, result, head: h } = await read(request, request.query);
    return {
      ...h,
      rows: result.rows.map((r) => ({
        key: r.key,
        turns: r.turns,
        calls: r.calls,
        input_tokens: r.input_tokens,
        cached_input_tokens: r.cached_input_tokens,
        output_tokens: r.output_tokens,
        energy_wh: r.energy_wh,
        co2e_g: co2eGrams(r.energy_wh, analytics.gridGramsPerKwh),
        unestimated_calls: r.unestimated_calls,
      })),
    };
  });

  app.get('/v1/analytics/performance', {
    onRequest: readers,
    schema: { tags, summary: 'Latency and time to first token (p50/p95/p99), errors', querystring: analyticsQuery, response: { 200: performanceView, ...responses } },
  }, async (request) => {
    const { result, head: h } = await read(request, request.query);
    const q = (v: [number, number, number]) => ({ p50: v[0], p95: v[1], p99: v[2] });
    return {
      ...h,
      rows: result.rows.map((r) => ({
        key: r.key,
        calls: r.calls,
        errors: r.errors,
        error_rate: r.calls === 0 ? 0 : r.errors / r.calls,
        latency_ms: q(r.latency_ms),
        ttft_ms: q(r.ttft_ms),
      })),
    };
  });

  analyticsInsightRoutes(scope, runtime);
  analyticsOpsRoutes(scope, runtime);
  privacyRoutes(scope, runtime);
}

function head(appId: string, q: z.infer<typeof analyticsQuery>, result: AnalyticsResult) {
  return {
    app_id: appId,
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
    group_by: q.group_by,
    sources: { rollup_days: result.sources.rollup_days.length, raw_windows: result.sources.raw_windows },
  };
}
