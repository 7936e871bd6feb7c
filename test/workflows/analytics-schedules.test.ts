/**
 * The analytics Schedules on a real Temporal dev server (the Java time-skipping server has no
 * Schedule API): created and then updated idempotently, with the contract's calendar, overlap and
 * catch-up policies; a backfill of the hourly Schedule over two hours starts runs due at :05 that
 * each collect the hour before as child `etl:{hour}`; the fresh Schedule fires when triggered.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAnalyticsActivities } from '../../src/activities/analytics';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { buildPriceBook } from '../../src/domain/pricing';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { SCHEDULE_IDS, workflowIds } from '../../src/workflows/contract';
import { analyticsSchedules, ensureSchedules } from '../../src/workers/schedules';
import { openTestClickHouse, registerApp, scalar, seedUsage, usageEvents } from '../analytics/support';
import { services, uniqueName } from '../support/services';
import { startDevServer } from '../support/temporal';
import { workflowBundle } from '../support/workflow-bundle';

let env: TestWorkflowEnvironment;
let mongo: MongoStores;
let ch: ClickHouseStore;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueName('sched-q');

beforeAll(async () => {
  env = await startDevServer();
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('sched') }));
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  ch = await openTestClickHouse('sched');
  await registerApp(mongo, 'sched-app', 'pro');
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createAnalyticsActivities({
      mongo,
      clickhouse: ch,
      pseudonymize: pseudonymizer('schedule-test-key-0123456789'),
      priceBook: buildPriceBook(),
      archive: localDirSink(`${services().runDir}/${uniqueName('sched-archive')}`),
      temporal: env.client,
    }),
  });
  running = worker.run();
});

afterAll(async () => {
  for (const id of Object.values(SCHEDULE_IDS)) await env?.client.schedule.getHandle(id).delete().catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await ch?.close();
  await mongo?.close();
  await env?.teardown();
});

/** Waits (bounded by the test timeout) until the workflow exists, then returns its result. */
async function resultOf(workflowId: string): Promise<unknown> {
  for (;;) {
    try {
      return await env.client.workflow.getHandle(workflowId).result();
    } catch (error) {
      if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
      await sleep(200);
    }
  }
}

it('creates the three Schedules, then updates them in place', async () => {
  expect(await ensureSchedules(env.client, { taskQueue })).toEqual({
    [SCHEDULE_IDS.etlHourly]: 'created',
    [SCHEDULE_IDS.etlFresh]: 'created',
    [SCHEDULE_IDS.aggDaily]: 'created',
  });
  expect(Object.values(await ensureSchedules(env.client, { taskQueue }))).toEqual(['updated', 'updated', 'updated']);

  const hourly = await env.client.schedule.getHandle(SCHEDULE_IDS.etlHourly).describe();
  expect(hourly.spec.calendars?.[0]).toMatchObject({ minute: [{ start: 5, end: 5, step: 1 }] });
  expect(hourly.policies.overlap).toBe('SKIP');
  expect(hourly.policies.catchupWindow).toBe(24 * 3600 * 1000);
  expect(hourly.action).toMatchObject({ workflowType: 'hourlyEtl', taskQueue });
  const daily = await env.client.schedule.getHandle(SCHEDULE_IDS.aggDaily).describe();
  expect(daily.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
  expect(analyticsSchedules().map((s) => s.scheduleId)).toEqual(Object.values(SCHEDULE_IDS));
});

it('a backfill of the hourly Schedule runs at :05 and collects the hour before each run', async () => {
  await seedUsage(mongo, usageEvents('sched-app', '2026-03-01T09:00:00Z', '2026-03-01T11:00:00Z', 2));
  await env.client.schedule.getHandle(SCHEDULE_IDS.etlHourly).backfill({
    start: new Date('2026-03-01T10:00:00Z'),
    end: new Date('2026-03-01T12:00:00Z'),
    overlap: 'ALLOW_ALL',
  });
  const nine = (await resultOf(workflowIds.etl('2026-03-01T09:00:00.000Z'))) as { from: string; usage_rows: number };
  const ten = (await resultOf(workflowIds.etl('2026-03-01T10:00:00.000Z'))) as { from: string; usage_rows: number };
  expect([nine.from, nine.usage_rows, ten.from, ten.usage_rows]).toEqual(['2026-03-01T09:00:00.000Z', 30, '2026-03-01T10:00:00.000Z', 30]);
  expect(await scalar(ch, "SELECT count() FROM tessera.usage_events FINAL WHERE app_id = 'sched-app'")).toBe(60);
});

it('collects closed runs from Temporal visibility into workflow_runs', async () => {
  const to = new Date(Date.now() + 60_000).toISOString();
  const from = new Date(Date.now() - 3_600_000).toISOString();
  for (;;) {
    // Visibility is eventually consistent: collect again until the backfilled runs are listed.
    await createAnalyticsActivities({ mongo, clickhouse: ch, pseudonymize: pseudonymizer('schedule-test-key-0123456789'), priceBook: buildPriceBook(), archive: localDirSink(services().runDir), temporal: env.client }).etlWorkflowRuns({ from, to });
    const children = await scalar(ch, "SELECT count() FROM tessera.workflow_runs FINAL WHERE workflow_type = 'hourlyEtl' AND status = 'COMPLETED' AND workflow_id LIKE 'etl:2026-03-01T%'");
    if (children >= 2) break;
    await sleep(300);
  }
  const dupes = await scalar(ch, 'SELECT count() - uniqExact(event_id) FROM tessera.workflow_runs');
  expect(dupes).toBe(0);
});

it('the fresh Schedule fires when triggered', async () => {
  const handle = env.client.schedule.getHandle(SCHEDULE_IDS.etlFresh);
  const before = (await handle.describe()).info.numActionsTaken;
  await handle.trigger();
  for (;;) {
    const info = (await handle.describe()).info;
    if (info.numActionsTaken > before) {
      const last = info.recentActions.at(-1);
      if (!last) throw new Error('no recent action');
      const result = await env.client.workflow.getHandle(last.action.workflow.workflowId).result();
      expect(result).toMatchObject({ apps: 2 });
      return;
    }
    await sleep(200);
  }
});
