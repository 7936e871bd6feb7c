/**
 * The analytics HTTP routes over real HTTP, with the ETL running as workflows on a dev server and
 * real FerretDB, Redis and chDB: backfill (wait), reads exact across rollup and raw, tenancy,
 * bounded ranges, re-pricing refused for another price table, and erasing a user.
 */
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsActivities } from '../../src/activities/analytics';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import { aggregateDay } from '../../src/activities/analytics/aggregate';
import { etlWindow } from '../../src/activities/analytics/etl';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { buildPriceBook } from '../../src/domain/pricing';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { openTestClickHouse, scalar, seedUsage, usageEvents } from '../analytics/support';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { services, uniqueName } from '../support/services';
import { workflowBundle } from '../support/workflow-bundle';

let stack: ApiStack;
let ch: ClickHouseStore;
let worker: Worker;
let running: Promise<void>;
let appKey: string;
const APP = 'ana';
const pseudonymize = pseudonymizer('api-test-pseudonym-key-0123');
// Two closed days and a bit: 2026-04-01 06:00 .. 2026-04-03 06:00, every 15 minutes.
const docs = usageEvents(APP, '2026-04-01T06:00:00Z', '2026-04-03T06:00:00Z', 15);

beforeAll(async () => {
  stack = await startApiStack({ label: 'analyticsapi', noWorker: true });
  ch = await openTestClickHouse('analyticsapi');
  const taskQueue = uniqueName('analytics-api-q');
  stack.runtime.analytics = { clickhouse: ch, pseudonymize, gridGramsPerKwh: 400, taskQueue };
  worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createAnalyticsActivities({
      mongo: stack.kit.mongo,
      clickhouse: ch,
      pseudonymize,
      priceBook: buildPriceBook(),
      archive: localDirSink(`${services().runDir}/${uniqueName('api-archive')}`),
    }),
  });
  running = worker.run();
  appKey = await stack.createApp(APP, { tier: 'pro' });
  await stack.createApp('ana-other');
  await seedUsage(stack.kit.mongo, docs);
  // The bulk of the range goes straight through the ETL step and the rollup (the workflows that run
  // them are tested in test/workflows/analytics.test.ts); the route below backfills two hours.
  const deps = { mongo: stack.kit.mongo, clickhouse: ch, pseudonymize, priceBook: buildPriceBook(), archive: localDirSink(`${services().runDir}/${uniqueName('api-archive2')}`) };
  await etlWindow(deps, { appId: APP, source: 'usage', from: '2026-04-01T00:00:00.000Z', to: '2026-04-03T00:00:00.000Z', mode: 'etl' });
  await aggregateDay(deps, '2026-04-02');
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await ch?.close();
  await stack?.close();
});

const get = async (path: string, key = appKey) => {
  const response = await stack.call('GET', path, { key });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { rows: Record<string, unknown>[] } };
};
const range = 'from=2026-04-01T12:00:00Z&to=2026-04-03T03:00:00Z';
const inRange = docs.filter((d) => d.ts >= new Date('2026-04-01T12:00:00Z') && d.ts < new Date('2026-04-03T03:00:00Z'));

describe('analytics', () => {
  it('backfills a range (waiting for it), rebuilding the closed day it touched', async () => {
    const response = await stack.call('POST', '/v1/ops/etl/backfill?wait=true', {
      key: stack.adminKey,
      body: { from: '2026-04-03T00:00:00Z', to: '2026-04-03T06:00:00Z' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; result: { hours: number; usage_rows: number; days_reaggregated: string[] } };
    expect(body.status).toBe('completed');
    expect(body.result).toMatchObject({ hours: 6, usage_rows: 24, days_reaggregated: ['2026-04-03'] });
    const started = await stack.call('POST', '/v1/ops/etl/backfill', { key: stack.adminKey, body: { from: '2026-04-03T00:00:00Z', to: '2026-04-03T01:00:00Z' } });
    expect(started.status).toBe(202);
    expect(((await started.json()) as { workflow_id: string }).workflow_id).toMatch(/^etl-backfill:/);
  }, 120_000);

  it('waits a bounded time: a job no worker picks up answers 202 with its id, not a hung request', async () => {
    const analytics = stack.runtime.analytics!;
    stack.runtime.analytics = { ...analytics, taskQueue: uniqueName('nobody-polls'), jobWaitMs: 300 };
    try {
      const response = await stack.call('POST', '/v1/ops/reprice?wait=true', { key: stack.adminKey, body: { from: '2026-04-03T00:00:00Z', to: '2026-04-03T01:00:00Z' } });
      expect(response.status).toBe(202);
      const body = (await response.json()) as { workflow_id: string; status: string };
      expect(body.status).toBe('started');
      await stack.env.client.workflow.getHandle(body.workflow_id).terminate('test: no worker polls this queue');
    } finally {
      stack.runtime.analytics = analytics;
    }
  });

  it('reads cost exactly across the rollup/raw seam', async () => {
    const { status, body } = await get(`/v1/analytics/cost?${range}&group_by=day`);
    expect(status).toBe(200);
    expect(body.sources).toEqual({ rollup_days: 1, raw_windows: 2 });
    expect(body.rows.map((r) => r.key)).toEqual(['2026-04-01', '2026-04-02', '2026-04-03']);
    const total = body.rows.reduce((s, r) => s + Number(r.cost_nanos), 0);
    expect(total).toBe(inRange.reduce((s, d) => s + d.cost_nanos, 0));
    expect(body.rows.reduce((s, r) => s + Number(r.calls), 0)).toBe(inRange.length);
    expect(body.rows.reduce((s, r) => s + Number(r.unpriced_calls), 0)).toBe(inRange.filter((d) => !d.priced).length);
  });

  it('reads usage with energy and CO2e, and performance with error rates and percentiles', async () => {
    const usage = await get(`/v1/analytics/usage?${range}&group_by=model`);
    expect(usage.status).toBe(200);
    const byModel = Object.fromEntries(usage.body.rows.map((r) => [r.key, r]));
    expect(byModel['mystery-model']).toMatchObject({ energy_wh: 0, co2e_g: 0 });
    expect(Number(byModel['mystery-model']?.unestimated_calls)).toBeGreaterThan(0);
    const mini = byModel['gpt-4.1-mini'];
    expect(Number(mini?.energy_wh)).toBeGreaterThan(0);
    expect(Number(mini?.co2e_g)).toBeCloseTo((Number(mini?.energy_wh) / 1000) * 400, 9);
    expect(usage.body.rows.reduce((s, r) => s + Number(r.output_tokens), 0)).toBe(inRange.reduce((s, d) => s + d.output_tokens, 0));

    const perf = await get(`/v1/analytics/performance?${range}&group_by=user`);
    expect(perf.status).toBe(200);
    expect(perf.body.rows.map((r) => r.key).sort()).toEqual(['u1', 'u2', 'u3'].map((u) => pseudonymize(APP, u)).sort());
    const errors = perf.body.rows.reduce((s, r) => s + Number(r.errors), 0);
    expect(errors).toBe(inRange.filter((d) => d.status === 'error').length);
    for (const row of perf.body.rows) {
      const latency = row.latency_ms as { p50: number; p99: number };
      expect(latency.p50).toBeGreaterThanOrEqual(200);
      expect(latency.p99).toBeGreaterThanOrEqual(latency.p50);
    }
  });

  it('keeps apps apart and bounds ranges', async () => {
    expect((await get(`/v1/analytics/cost?${range}&app_id=ana-other`)).status).toBe(404);
    expect((await get(`/v1/analytics/cost?${range}`, stack.adminKey)).status).toBe(400);
    const admin = await get(`/v1/analytics/cost?${range}&app_id=${APP}`, stack.adminKey);
    expect(admin.status).toBe(200);
    expect(admin.body.rows).toHaveLength(3);
    expect((await get('/v1/analytics/cost?from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z')).status).toBe(400);
    expect((await get('/v1/analytics/usage?from=2026-04-01T00:00:00Z&to=2026-06-01T00:00:00Z&group_by=hour')).status).toBe(400);
    expect((await get('/v1/analytics/usage?from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z')).status).toBe(400);
    const forbidden = await stack.call('POST', '/v1/ops/etl/backfill', { key: appKey, body: { from: '2026-04-01T00:00:00Z', to: '2026-04-01T01:00:00Z' } });
    expect(forbidden.status).toBe(403);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const document = (await (await stack.call('GET', '/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    for (const kind of ['cost', 'usage', 'performance']) {
      expect(document.paths[`/v1/analytics/${kind}`]?.get?.parameters?.map((p) => p.name).sort()).toEqual(['app_id', 'from', 'group_by', 'to']);
    }
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/ops/etl/backfill', '/v1/ops/reprice', '/v1/apps/{app_id}/users/{user_id}']));
  });

  it('answers 503 in a process without ClickHouse', async () => {
    const analytics = stack.runtime.analytics;
    delete stack.runtime.analytics;
    try {
      const response = await get(`/v1/analytics/cost?${range}`);
      expect(response.status).toBe(503);
      expect((response.body as unknown as { error: { code: string } }).error.code).toBe('analytics_unavailable');
    } finally {
      stack.runtime.analytics = analytics;
    }
  });

  it('refuses to re-price with a price table the workers do not have', async () => {
    const response = await stack.call('POST', '/v1/ops/reprice?wait=true', {
      key: stack.adminKey,
      body: { from: '2026-04-01T06:00:00Z', to: '2026-04-01T07:00:00Z', price_table_version: 'no-such-version' },
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('price_table_mismatch');
  });
});

describe('erasing a user', () => {
  it("deletes the user's chats and their pseudonym's analytics rows, keeps the bill unlinked, and audits it", async () => {
    const c = tenantCollections(stack.kit.mongo, APP);
    const now = new Date();
    const totals = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, cost_nanos: 0, llm_calls: 0 };
    await c.sessions.insertOne({ chat_id: 'gone', user_id: 'u1', template: 'assistant', status: 'active', turn_count: 1, next_seq: 2, totals, created_at: now, updated_at: now } as never);
    await c.sessions.insertOne({ chat_id: 'kept', user_id: 'u2', template: 'assistant', status: 'active', turn_count: 1, next_seq: 2, totals, created_at: now, updated_at: now } as never);
    await c.messages.insertMany([
      { chat_id: 'gone', message_id: 'g1', seq: 1, role: 'user', content: 'secret', turn_id: 't', status: 'complete', created_at: now },
      { chat_id: 'kept', message_id: 'k1', seq: 1, role: 'user', content: 'hello', turn_id: 't', status: 'complete', created_at: now },
    ]);
    const p1 = pseudonymize(APP, 'u1');
    const before = await scalar(ch, 'SELECT count() FROM tessera.usage_events WHERE app_id = {app:String} AND user_pseudonym = {p:String}', { app: APP, p: p1 });
    expect(before).toBeGreaterThan(0);

    const response = await stack.call('DELETE', `/v1/apps/${APP}/users/u1`, { key: appKey });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user_pseudonym: string; mongo: Record<string, number>; clickhouse: Record<string, number> };
    expect(body.user_pseudonym).toBe(p1);
    expect(body.mongo).toMatchObject({ chats: 1, messages: 1, usage_events_unlinked: docs.filter((d) => d.user_id === 'u1').length });
    expect(body.clickhouse.usage_events).toBe(before);

    expect(await scalar(ch, 'SELECT count() FROM tessera.usage_events WHERE user_pseudonym = {p:String}', { p: p1 })).toBe(0);
    expect(await scalar(ch, 'SELECT count() FROM tessera.daily_app_usage WHERE user_pseudonym = {p:String}', { p: p1 })).toBe(0);
    expect(body.clickhouse.hourly_app_usage).toBeGreaterThan(0); // the day rolled up in beforeAll had hourly rows of u1
    expect(await scalar(ch, 'SELECT count() FROM tessera.hourly_app_usage WHERE user_pseudonym = {p:String}', { p: p1 })).toBe(0);
    expect((await c.sessions.find({})).map((s) => s.chat_id)).toEqual(['kept']);
    expect((await c.messages.find({})).map((m) => m.message_id)).toEqual(['k1']);
    expect(await c.usageEvents.countDocuments({ user_id: 'u1' })).toBe(0);
    const audit = await stack.runtime.audit.listAppEvents(APP, { limit: 1000 });
    const erased = audit.find((e) => e.resource.type === 'user');
    expect(erased?.resource.id).toBe(p1);
    expect(JSON.stringify(audit)).not.toContain('"u1"');

    // Another app's key cannot erase here; an unknown app is 404 for the admin.
    const otherKey = (await stack.call('POST', '/v1/apps/ana-other/keys/rotate', { key: stack.adminKey }).then((r) => r.json())) as { api_key: string };
    expect((await stack.call('DELETE', `/v1/apps/${APP}/users/u2`, { key: otherKey.api_key })).status).toBe(404);
    expect((await stack.call('DELETE', '/v1/apps/nope/users/u2', { key: stack.adminKey })).status).toBe(404);
  });
});
