/**
 * `GET /v1/analytics/{engagement,errors,budget-forecast}` over real HTTP with real FerretDB, Redis
 * and chDB: usage events seeded in MongoDB, run through the ETL step into ClickHouse, and figures
 * worked out by hand below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import { etlWindow } from '../../src/activities/analytics/etl';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { buildPriceBook } from '../../src/domain/pricing';
import { createServerClient } from '../../sdk/src/index.js';
import { Budgets, budgetScopes } from '../../src/stores/budgets';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import type { UsageEventDoc } from '../../src/stores/documents';
import { openTestClickHouse, seedUsage } from '../analytics/support';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { services, uniqueName } from '../support/services';

let stack: ApiStack;
let ch: ClickHouseStore;
let appKey: string;
const suffix = Date.now().toString(36);
const APP = `ins-${suffix}`;
const OTHER = `ins-other-${suffix}`;
const pseudonymize = pseudonymizer('insights-test-pseudonym-key-01');

const event = (
  app: string,
  user: string,
  chat: string,
  turn: string,
  ts: string,
  o: { step?: number; error?: string; model?: string; template?: string; cost?: number } = {},
): UsageEventDoc => ({
  event_id: `llm:${app}:${chat}:${turn}:${o.step ?? 0}`,
  app_id: app,
  chat_id: chat,
  user_id: user,
  turn_id: turn,
  step: o.step ?? 0,
  template: o.template ?? 'assistant',
  provider: 'openai',
  model: o.model ?? 'gpt-4.1-mini',
  input_tokens: 10,
  cached_input_tokens: 0,
  output_tokens: 5,
  cost_nanos: o.cost ?? 1_000_000,
  priced: true,
  price_table_version: 'test.1',
  latency_ms: 100,
  ttft_ms: 20,
  status: o.error ? 'error' : 'ok',
  ...(o.error ? { error_type: o.error } : {}),
  ts: new Date(ts),
});

// ISO weeks: 2026-03-30, 2026-04-06, 2026-04-13; the range is those three weeks.
const docs: UsageEventDoc[] = [
  event(APP, 'old', 'co1', 't0', '2026-03-20T09:00:00Z'), // before the range: old is no new user
  event(APP, 'a', 'ca1', 't1', '2026-03-30T10:00:00Z'),
  event(APP, 'a', 'ca1', 't2', '2026-03-31T10:00:00Z'),
  event(APP, 'b', 'cb1', 't3', '2026-03-31T11:00:00Z', { error: 'llm_timeout' }),
  event(APP, 'b', 'cb1', 't3', '2026-03-31T11:01:00Z', { step: 1, error: 'llm_timeout' }),
  event(APP, 'old', 'co1', 't4', '2026-04-01T09:00:00Z'),
  event(APP, 'a', 'ca2', 't5', '2026-04-07T10:00:00Z'),
  event(APP, 'c', 'cc1', 't6', '2026-04-08T10:00:00Z'),
  event(APP, 'c', 'cc1', 't7', '2026-04-08T12:00:00Z', { error: 'provider_error', model: 'gpt-4.1', template: 'researcher' }),
  event(APP, 'c', 'cc2', 't8', '2026-04-14T10:00:00Z'),
  event(APP, 'a', 'pack:r1:s1', 'pt1', '2026-04-15T10:00:00Z', { error: 'llm_timeout', template: 'researcher' }),
  ...[1, 2, 3, 4, 5, 6].map((i) => event(APP, 'a', `ce${i}`, `te${i}`, `2026-04-16T0${i}:00:00Z`, { error: 'rate_limited' })),
  event(APP, 'b', 'cb2', 't9', '2026-04-20T00:00:00Z', { error: 'llm_timeout' }), // at `to`: outside
];
const otherDocs = [event(OTHER, 'z', 'cz1', 'tz1', '2026-04-02T10:00:00Z', { error: 'llm_timeout', cost: 3_000_000_000 })];
const range = 'from=2026-03-30T00:00:00Z&to=2026-04-20T00:00:00Z';

beforeAll(async () => {
  stack = await startApiStack({ label: 'analyticsinsights', noWorker: true });
  ch = await openTestClickHouse('analyticsinsights');
  stack.runtime.analytics = { clickhouse: ch, pseudonymize, gridGramsPerKwh: 400, taskQueue: uniqueName('insights-q') };
  appKey = await stack.createApp(APP, { tier: 'pro' });
  await stack.createApp(OTHER);
  await seedUsage(stack.kit.mongo, docs);
  await seedUsage(stack.kit.mongo, otherDocs);
  const deps = { mongo: stack.kit.mongo, clickhouse: ch, pseudonymize, priceBook: buildPriceBook(), archive: localDirSink(`${services().runDir}/${uniqueName('insights-archive')}`) };
  for (const appId of [APP, OTHER]) {
    await etlWindow(deps, { appId, source: 'usage', from: '2026-03-20T00:00:00.000Z', to: '2026-04-21T00:00:00.000Z', mode: 'etl' });
  }
}, 180_000);

afterAll(async () => {
  await ch?.close();
  await stack?.close();
});

const get = async (path: string, key = appKey) => {
  const response = await stack.call('GET', path, { key });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body };
};

describe('engagement', () => {
  it('counts active users per day, ISO week and month, sessions per user, turns per session and weekly cohorts', async () => {
    const { status, body } = await get(`/v1/analytics/engagement?${range}`);
    expect(status).toBe(200);
    // Users a, b, old, c. Chats (pack steps excluded): ca1 cb1 co1 ca2 cc1 cc2 ce1..ce6 = 12;
    // turns t1..t8 (t3 twice: one turn) and te1..te6 = 14.
    expect(body).toMatchObject({ app_id: APP, users: 4, sessions: 12, turns: 14, sessions_per_user: 3, turns_per_session: 1.166667 });
    expect(body.daily_active_users).toEqual([
      { period: '2026-03-30', users: 1 },
      { period: '2026-03-31', users: 2 },
      { period: '2026-04-01', users: 1 },
      { period: '2026-04-07', users: 1 },
      { period: '2026-04-08', users: 1 },
      { period: '2026-04-14', users: 1 },
      { period: '2026-04-15', users: 1 },
      { period: '2026-04-16', users: 1 },
    ]);
    expect(body.weekly_active_users).toEqual([
      { period: '2026-03-30', users: 3 },
      { period: '2026-04-06', users: 2 },
      { period: '2026-04-13', users: 2 },
    ]);
    expect(body.monthly_active_users).toEqual([
      { period: '2026-03-01', users: 2 },
      { period: '2026-04-01', users: 3 },
    ]);
    // Cohort 03-30: a and b (old was first seen on 03-20); a comes back both weeks, b never.
    // Cohort 04-06: c, back the week after.
    expect(body.retention).toEqual([
      { week: '2026-03-30', users: 2, retention: [1, 0.5, 0.5] },
      { week: '2026-04-06', users: 1, retention: [1, 1] },
    ]);
    // The SDK reads the same report.
    const sdk = createServerClient({ baseUrl: stack.url, appKey });
    expect(await sdk.analytics.engagement({ from: '2026-03-30T00:00:00Z', to: '2026-04-20T00:00:00Z' })).toEqual(body);
    // No user id leaves as such.
    expect(JSON.stringify(body)).not.toContain(pseudonymize(APP, 'a'));
  });
});

describe('errors', () => {
  it('groups failed turns and pack steps by type, code, model and template, with at most 5 sample chats', async () => {
    const { status, body } = await get(`/v1/analytics/errors?${range}`);
    expect(status).toBe(200);
    expect(body.truncated).toBe(false);
    const sdk = createServerClient({ baseUrl: stack.url, appKey });
    expect(await sdk.analytics.errors({ from: '2026-03-30T00:00:00Z', to: '2026-04-20T00:00:00Z' })).toEqual(body);
    expect(body.groups).toEqual([
      {
        kind: 'turn', code: 'rate_limited', model: 'gpt-4.1-mini', template: 'assistant', count: 6, turns: 6,
        first_seen: '2026-04-16T01:00:00.000Z', last_seen: '2026-04-16T06:00:00.000Z', sample_chat_ids: ['ce1', 'ce2', 'ce3', 'ce4', 'ce5'],
      },
      {
        kind: 'turn', code: 'llm_timeout', model: 'gpt-4.1-mini', template: 'assistant', count: 2, turns: 1,
        first_seen: '2026-03-31T11:00:00.000Z', last_seen: '2026-03-31T11:01:00.000Z', sample_chat_ids: ['cb1'],
      },
      {
        kind: 'pack_step', code: 'llm_timeout', model: 'gpt-4.1-mini', template: 'researcher', count: 1, turns: 1,
        first_seen: '2026-04-15T10:00:00.000Z', last_seen: '2026-04-15T10:00:00.000Z', sample_chat_ids: ['pack:r1:s1'],
      },
      {
        kind: 'turn', code: 'provider_error', model: 'gpt-4.1', template: 'researcher', count: 1, turns: 1,
        first_seen: '2026-04-08T12:00:00.000Z', last_seen: '2026-04-08T12:00:00.000Z', sample_chat_ids: ['cc1'],
      },
    ]);
  });
});

describe('budget forecast', () => {
  it('projects month-to-date spend to month end and dates the run-out', async () => {
    const now = stack.runtime.now;
    stack.runtime.now = () => new Date('2026-04-11T00:00:00Z');
    try {
      const budgets = new Budgets(stack.runtime.redis);
      const month = budgetScopes.appMonth(APP, new Date('2026-04-11T00:00:00Z'));
      await budgets.setLimit(month, 50e9);
      await budgets.settle([month], `insights-${suffix}`, 20e9);
      const { status, body } = await get('/v1/analytics/budget-forecast');
      expect(status).toBe(200);
      // $20 in 10 of April's 30 days: $2/day, $60 by month end; $30 left lasts 15 days → the 26th.
      // Analytics has April's collected calls up to now: t4, t5, t6, t7 at $0.001 each.
      expect(body).toEqual({
        app_id: APP, at: '2026-04-11T00:00:00.000Z', month: '2026-04', budget_usd: 50, spent_usd: 20, analytics_cost_usd: 0.004,
        daily_rate_usd: 2, projected_month_end_usd: 60, runs_out_on: '2026-04-26', days_elapsed: 10, days_in_month: 30,
      });
      expect(await createServerClient({ baseUrl: stack.url, appKey }).analytics.budgetForecast()).toEqual(body);
      // Without a budget counter the collected cost is the spend ($3 in 10 days); no budget: no run-out.
      const other = await get(`/v1/analytics/budget-forecast?app_id=${OTHER}`, stack.adminKey);
      expect(other.status).toBe(200);
      expect(other.body).toMatchObject({ budget_usd: null, spent_usd: 3, analytics_cost_usd: 3, daily_rate_usd: 0.3, projected_month_end_usd: 9, runs_out_on: null });
    } finally {
      stack.runtime.now = now;
    }
  });
});

describe('the rules of every analytics read', () => {
  it('keeps apps apart, needs app_id with the admin key, bounds ranges, and is 503 without ClickHouse', async () => {
    for (const path of ['engagement', 'errors']) {
      expect((await get(`/v1/analytics/${path}?${range}&app_id=${OTHER}`)).status).toBe(404);
      expect((await get(`/v1/analytics/${path}?${range}`, stack.adminKey)).status).toBe(400);
      const admin = await get(`/v1/analytics/${path}?${range}&app_id=${OTHER}`, stack.adminKey);
      expect(admin.status).toBe(200);
      expect((await get(`/v1/analytics/${path}?from=2026-01-01T00:00:00Z&to=2026-05-01T00:00:00Z`)).status).toBe(400);
      expect((await get(`/v1/analytics/${path}?from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z`)).status).toBe(400);
      expect((await get(`/v1/analytics/${path}?${range}`, 'not-a-key')).status).toBe(401);
    }
    const otherErrors = await get(`/v1/analytics/errors?${range}&app_id=${OTHER}`, stack.adminKey);
    expect((otherErrors.body.groups as { sample_chat_ids: string[] }[]).map((g) => g.sample_chat_ids)).toEqual([['cz1']]);
    expect((await get(`/v1/analytics/budget-forecast?app_id=${OTHER}`)).status).toBe(404);
    expect((await get('/v1/analytics/budget-forecast', stack.adminKey)).status).toBe(400);

    const analytics = stack.runtime.analytics;
    delete stack.runtime.analytics;
    try {
      for (const path of [`engagement?${range}`, `errors?${range}`, 'budget-forecast']) {
        const response = await get(`/v1/analytics/${path}`);
        expect(response.status).toBe(503);
        expect((response.body as { error: { code: string } }).error.code).toBe('analytics_unavailable');
      }
    } finally {
      stack.runtime.analytics = analytics;
    }
  });

  it('documents the three routes in the OpenAPI document', async () => {
    const document = (await (await stack.call('GET', '/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>>;
    };
    for (const kind of ['engagement', 'errors']) {
      expect(document.paths[`/v1/analytics/${kind}`]?.get?.parameters?.map((p) => p.name).sort()).toEqual(['app_id', 'from', 'to']);
    }
    const forecast = document.paths['/v1/analytics/budget-forecast']?.get;
    expect(forecast?.parameters?.map((p) => p.name)).toEqual(['app_id']);
    expect(Object.keys(forecast?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '503']));
  });
});
