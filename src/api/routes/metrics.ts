/**
 * Metrics for operators (admin key), right across replicas because they are read from Redis:
 * `GET /health/active-runs`, `/metrics/perf/aggregate`, `/metrics/perf/chats`, and `/metrics` in
 * Prometheus text format — per-app series, plus the Temporal worker's own metrics when the
 * worker runtime's Prometheus exporter address is given.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Gauge, Registry } from 'prom-client';
import { activeRunsView, perfAggregateView, perfChatsQuery, perfChatsView, perfQuery } from '../../domain/api/ops';
import { errorResponses } from '../../domain/api/errors';
import { nanosToUsd } from '../../domain/pricing';
import { tenantCollections } from '../../stores/tenant-collection';
import { guard } from '../auth/guard';
import { OpsMetrics, type AppPerf } from '../ops-metrics';
import type { ApiRuntime } from '../runtime';

const tags = ['metrics'];
/** Window of the per-app Prometheus series. */
export const PROMETHEUS_WINDOW_MINUTES = 5;

export interface MetricsOptions {
  /** The worker runtime's Prometheus exporter (e.g. `http://127.0.0.1:9464/metrics`), appended to `/metrics`. */
  workerMetricsUrl?: string;
}

export function metricsRoutes(scope: FastifyInstance, runtime: ApiRuntime, options: MetricsOptions = {}): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const admin = guard(runtime, ['admin']);
  const metrics = new OpsMetrics(runtime.redis);
  const prometheus = prometheusRegistry(metrics, runtime);

  app.get('/health/active-runs', {
    onRequest: admin,
    schema: { tags, summary: 'Runs in progress per app, across every replica', response: { 200: activeRunsView, ...errorResponses(401, 403) } },
  }, async () => {
    const apps = await metrics.activeRuns();
    return { total: Object.values(apps).reduce((sum, n) => sum + n, 0), apps };
  });

  app.get('/metrics/perf/aggregate', {
    onRequest: admin,
    schema: { tags, summary: "Every app's counters over the last minutes, its ops levers and budget", querystring: perfQuery, response: { 200: perfAggregateView, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const to = runtime.now();
    const from = new Date(to.getTime() - request.query.minutes * 60_000);
    return { from: from.toISOString(), to: to.toISOString(), apps: await metrics.perApp({ from, to }) };
  });

  app.get('/metrics/perf/chats', {
    onRequest: admin,
    schema: { tags, summary: "An app's most recently active chats with their totals", querystring: perfChatsQuery, response: { 200: perfChatsView, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const { app_id: appId, limit } = request.query;
    const sessions = await tenantCollections(runtime.mongo, appId).sessions.find({}, { sort: { updated_at: -1 }, limit });
    return {
      app_id: appId,
      chats: sessions.map((session) => ({
        chat_id: session.chat_id,
        status: session.status,
        turn_count: session.turn_count,
        updated_at: session.updated_at.toISOString(),
        input_tokens: session.totals.input_tokens,
        output_tokens: session.totals.output_tokens,
        cost_usd: nanosToUsd(session.totals.cost_nanos),
      })),
    };
  });

  app.get('/metrics', { onRequest: admin, schema: { tags, summary: 'Prometheus text format', hide: true } }, async (_request, reply) => {
    await prometheus.refresh();
    const ours = await prometheus.registry.metrics();
    const worker = options.workerMetricsUrl ? await fetchText(options.workerMetricsUrl) : '';
    return reply.type(prometheus.registry.contentType).send(worker ? `${ours}\n${worker}` : ours);
  });
}

type Series = [name: string, help: string, value: (perf: AppPerf) => number];

const SERIES: Series[] = [
  ['tessera_app_active_runs', 'Runs in progress', (p) => p.active_runs],
  ['tessera_app_turns', `Turns started in the last ${PROMETHEUS_WINDOW_MINUTES} minutes`, (p) => p.turns],
  ['tessera_app_errors', `Turns failed in the last ${PROMETHEUS_WINDOW_MINUTES} minutes`, (p) => p.errors],
  ['tessera_app_input_tokens', `Input tokens in the last ${PROMETHEUS_WINDOW_MINUTES} minutes`, (p) => p.input_tokens],
  ['tessera_app_output_tokens', `Output tokens in the last ${PROMETHEUS_WINDOW_MINUTES} minutes`, (p) => p.output_tokens],
  ['tessera_app_cost_usd', `LLM cost in the last ${PROMETHEUS_WINDOW_MINUTES} minutes`, (p) => p.cost_usd],
  ['tessera_app_llm_calls', `LLM calls in the last ${PROMETHEUS_WINDOW_MINUTES} minutes`, (p) => p.llm_calls],
  ['tessera_app_throttle_factor', 'Ops throttle in force (1 = none)', (p) => p.throttle_factor ?? 1],
  ['tessera_app_paused_by_ops', 'Paused by the ops autopilot (0/1)', (p) => (p.paused_by_ops ? 1 : 0)],
  ['tessera_app_month_spent_usd', 'LLM spend this calendar month (settled)', (p) => p.month_spent_usd],
  ['tessera_app_month_budget_usd', 'Monthly LLM budget (-1 = none)', (p) => p.month_budget_usd ?? -1],
];

/** The per-app series, refreshed from one Redis read per scrape. */
function prometheusRegistry(metrics: OpsMetrics, runtime: ApiRuntime): { registry: Registry; refresh(): Promise<void> } {
  const registry = new Registry();
  const gauges = SERIES.map(([name, help]) => new Gauge({ name, help, labelNames: ['app_id'], registers: [registry] }));
  return {
    registry,
    async refresh() {
      const to = runtime.now();
      const perf = await metrics.perApp({ from: new Date(to.getTime() - PROMETHEUS_WINDOW_MINUTES * 60_000), to });
      SERIES.forEach(([, , value], i) => {
        const gauge = gauges[i]!;
        gauge.reset();
        for (const app of perf) gauge.set({ app_id: app.app_id }, value(app));
      });
    },
  };
}

async function fetchText(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok ? await response.text() : '';
  } catch {
    return '';
  }
}
