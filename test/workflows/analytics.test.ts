/**
 * The analytics workflows on the time-skipping test server with the real activities (FerretDB,
 * chDB): hourlyEtl for an explicit window and for "the hour that just closed" (as its Schedule
 * starts it), dailyAggregation with rollups and retention archiving, etlBackfill over hours; each
 * history replays. Schedules themselves are tested on a dev server (analytics-schedules.test.ts):
 * the Java test server does not implement the Schedule API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsActivities } from '../../src/activities/analytics';
import { localDirSink } from '../../src/activities/analytics/archive-sink';
import type { AnalyticsDeps } from '../../src/activities/analytics/deps';
import { pseudonymizer } from '../../src/activities/analytics/pseudonym';
import { iso, previousHour } from '../../src/domain/analytics';
import { buildPriceBook } from '../../src/domain/pricing';
import { AuditRepository } from '../../src/stores/audit-repository';
import type { ClickHouseStore } from '../../src/stores/clickhouse';
import type { ChatMessageDoc } from '../../src/stores/documents';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections, type TenantInput } from '../../src/stores/tenant-collection';
import { workflowIds } from '../../src/workflows/contract';
import type { dailyAggregation } from '../../src/workflows/daily-aggregation';
import type { etlBackfill } from '../../src/workflows/etl-backfill';
import type { hourlyEtl } from '../../src/workflows/hourly-etl';
import { services, uniqueName } from '../support/services';
import { rawHistory } from '../support/histories';
import { startTimeSkipping } from '../support/temporal';
import { workflowBundle } from '../support/workflow-bundle';
import { openTestClickHouse, registerApp, scalar, seedUsage, usageEvents } from '../analytics/support';

let env: TestWorkflowEnvironment;
let mongo: MongoStores;
let ch: ClickHouseStore;
let deps: AnalyticsDeps;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueName('analytics-q');
const archiveDir = path.join(services().runDir, uniqueName('archive'));
const histories: { name: string; workflowId: string }[] = [];
const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const recording = process.env.RECORD_HISTORIES === '1';
/** Fixed ids (child ids derive from them), so recorded histories replay under their own id. */
const RECORDED_IDS = {
  'analytics-hourly-etl': workflowIds.etl('2026-02-01T10:00:00.000Z'),
  'analytics-hourly-scheduled': 'etl-hourly-recorded',
  'analytics-daily-aggregation': workflowIds.aggregation('2026-02-01'),
  'analytics-etl-backfill': workflowIds.etlBackfill('recorded'),
} as const;

beforeAll(async () => {
  env = await startTimeSkipping();
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('analyticswf') }));
  await ensureMongoIndexes(await mongo.dbFor('_system'));
  ch = await openTestClickHouse('analyticswf');
  deps = {
    mongo,
    clickhouse: ch,
    pseudonymize: pseudonymizer('workflow-test-key-0123456789'),
    priceBook: buildPriceBook(),
    archive: localDirSink(archiveDir),
    batchRows: 100,
    archiveBatch: 4,
  };
  await registerApp(mongo, 'wf-pro', 'pro');
  await registerApp(mongo, 'wf-free', 'free');
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: createAnalyticsActivities(deps),
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await ch?.close();
  await mongo?.close();
  await env?.teardown();
});

const usageRows = (app: string) => scalar(ch, 'SELECT count() FROM tessera.usage_events FINAL WHERE app_id = {app:String}', { app });

describe('hourlyEtl', () => {
  it('collects an explicit window of every app', async () => {
    const docs = usageEvents('wf-pro', '2026-02-01T10:00:00Z', '2026-02-01T11:00:00Z', 1);
    await seedUsage(mongo, docs);
    await seedUsage(mongo, usageEvents('wf-pro', '2026-02-01T11:00:00Z', '2026-02-01T11:30:00Z', 1)); // outside
    const workflowId = workflowIds.etl('2026-02-01T10:00:00.000Z');
    const result = await env.client.workflow.execute<typeof hourlyEtl>('hourlyEtl', {
      taskQueue,
      workflowId,
      args: [{ from: '2026-02-01T10:00:00.000Z', to: '2026-02-01T11:00:00.000Z' }],
    });
    histories.push({ name: 'analytics-hourly-etl', workflowId });
    expect(result).toMatchObject({ apps: 3, usage_rows: 60 });
    expect(await usageRows('wf-pro')).toBe(60);
    // A whole hour is rolled up after its ETL, for the daily job to merge.
    expect(result.hour_rollup_events).toBe(60);
    expect(await scalar(ch, "SELECT sum(events) FROM tessera.hourly_rollup_runs WHERE hour = '2026-02-01 10:00:00'")).toBe(60);
  });

  it('as its Schedule starts it: collects the hour that closed before the run, as child etl:{hour}', async () => {
    const handle = await env.client.workflow.start<typeof hourlyEtl>('hourlyEtl', {
      taskQueue,
      workflowId: RECORDED_IDS['analytics-hourly-scheduled'],
      args: [{ kind: 'hourly' }],
    });
    const started = (await handle.describe()).startTime.getTime();
    const hour = previousHour(started);
    const result = await handle.result();
    histories.push({ name: 'analytics-hourly-scheduled', workflowId: handle.workflowId });
    expect(result).toMatchObject({ from: iso(hour.from), to: iso(hour.to) });
    const child = await env.client.workflow.getHandle(workflowIds.etl(iso(hour.from))).describe();
    expect(child.status.name).toBe('COMPLETED');
  });
});

describe('dailyAggregation', () => {
  it('rolls the day up, then archives messages past each tier\'s retention (verified, deleted, audited)', async () => {
    await seedUsage(mongo, usageEvents('wf-free', '2026-02-01T00:00:00Z', '2026-02-02T00:00:00Z', 30));
    await env.client.workflow.execute<typeof hourlyEtl>('hourlyEtl', {
      taskQueue,
      workflowId: uniqueName('etl-day'),
      args: [{ from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z' }],
    });
    // Closing 2026-02-01: a free app keeps 30 days (cutoff 2026-01-03), a pro app 90.
    const message = (chat: string, seq: number, created: string): TenantInput<ChatMessageDoc> => ({
      chat_id: chat, message_id: `${chat}:${seq}`, seq, role: 'user', content: `hello ${seq}`,
      turn_id: `t${seq}`, status: 'complete', created_at: new Date(created),
    });
    const free = tenantCollections(mongo, 'wf-free').messages;
    const pro = tenantCollections(mongo, 'wf-pro').messages;
    const old = [1, 2, 3, 4, 5, 6].map((seq) => message('old', seq, '2025-12-20T00:00:00Z'));
    await free.insertMany([...old, message('new', 1, '2026-01-20T00:00:00Z')]);
    await pro.insertMany([message('proold', 1, '2025-12-20T00:00:00Z')]);

    const workflowId = workflowIds.aggregation('2026-02-01');
    const result = await env.client.workflow.execute<typeof dailyAggregation>('dailyAggregation', { taskQueue, workflowId, args: [{ day: '2026-02-01' }] });
    histories.push({ name: 'analytics-daily-aggregation', workflowId });
    expect(result.rollup.events).toBe(90 + 48); // wf-pro 10:00-11:30 every minute, wf-free every 30 min
    expect(result.retention).toEqual(
      expect.arrayContaining([
        { app_id: 'wf-free', archived: 6, files: 2 },
        { app_id: 'wf-pro', archived: 0, files: 0 },
      ]),
    );
    expect((await free.find({}, { sort: { seq: 1 } })).map((m) => m.chat_id)).toEqual(['new']);
    expect(await pro.countDocuments()).toBe(1); // 90 days for pro: still kept

    const files = fs.readdirSync(path.join(archiveDir, 'chat-messages', 'wf-free', '2026-02-01'));
    const archived = files.flatMap((file) =>
      gunzipSync(fs.readFileSync(path.join(archiveDir, 'chat-messages', 'wf-free', '2026-02-01', file))).toString('utf8').trim().split('\n'),
    );
    expect(archived.map((line) => (JSON.parse(line) as ChatMessageDoc).message_id).sort()).toEqual(old.map((m) => m.message_id).sort());
    const audit = await new AuditRepository(mongo).listAppEvents('wf-free');
    expect(audit.filter((e) => e.resource.type === 'chat_messages').map((e) => e.details?.archived)).toEqual([4, 2]);
    expect((await new AuditRepository(mongo).verifyAppAuditChain('wf-free')).valid).toBe(true);
  });
});

describe('etlBackfill', () => {
  it('collects each hour of a range as a child, a few at a time, and rebuilds closed days', async () => {
    await seedUsage(mongo, usageEvents('wf-pro', '2026-02-03T00:00:00Z', '2026-02-03T03:00:00Z', 5));
    const workflowId = RECORDED_IDS['analytics-etl-backfill'];
    const result = await env.client.workflow.execute<typeof etlBackfill>('etlBackfill', {
      taskQueue,
      workflowId,
      args: [{ from: '2026-02-03T00:00:00.000Z', to: '2026-02-03T03:00:00.000Z', mode: 'etl', concurrency: 2 }],
    });
    histories.push({ name: 'analytics-etl-backfill', workflowId });
    expect(result).toMatchObject({ hours: 3, usage_rows: 36, days_reaggregated: ['2026-02-03'] });
  });
});

it("every history above replays with today's workflow code, and so does every recorded one", async () => {
  expect(histories.length).toBe(4);
  for (const { name, workflowId } of histories) {
    const history = await rawHistory(env, workflowId);
    // Re-record after an intended, versioned change: RECORD_HISTORIES=1 npx vitest run test/workflows/analytics.test.ts
    if (recording) fs.writeFileSync(path.join(FIXTURES, `${name}.binpb`), temporal.api.history.v1.History.encode(history).finish());
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId);
  }
  const recorded = fs.readdirSync(FIXTURES).filter((file) => file.startsWith('analytics-') && file.endsWith('.binpb'));
  expect(recorded.length).toBeGreaterThanOrEqual(4);
  for (const file of recorded) {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(FIXTURES, file)));
    const name = file.replace(/\.binpb$/, '');
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, (RECORDED_IDS as Record<string, string | undefined>)[name] ?? name);
  }
});

