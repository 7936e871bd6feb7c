/**
 * hourlyEtl: moves one time window of every app's usage and audit events from MongoDB into
 * ClickHouse. Started by Schedule `tessera-etl-hourly` (the hour that just closed: the run starts
 * the child `etl:{window_start_iso}`, so a window is never collected twice at once), by
 * `tessera-etl-fresh` (the last minutes, for fresh dashboards) and by backfill or re-pricing with
 * an explicit window. Every insert is idempotent, so a window may be collected again at any time.
 * A window that is one whole UTC hour is then rolled up (`aggregateHour`) for the daily job.
 */
import { ApplicationFailure, executeChild, patched, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { EtlMode, EtlWindowResult } from '../activities/analytics';
import { floorTo, HOUR_MS, iso, MINUTE_MS, previousHour } from '../domain/analytics';
import { inBatches, lookups, scans } from './analytics/activities';
import { SCHEDULED_START_TIME, workflowIds } from './contract';

export interface HourlyEtlInput {
  /** ISO instants of an explicit window `[from, to)`; otherwise the window follows from `kind`. */
  from?: string;
  to?: string;
  /** `hourly` (default): the closed hour before the scheduled time; `fresh`: the last minutes. */
  kind?: 'hourly' | 'fresh';
  mode?: EtlMode;
  /** Apps collected side by side. */
  concurrency?: number;
  /** Re-pricing: refuse unless the workers price with this version. */
  priceTableVersion?: string;
}

export interface HourlyEtlResult {
  from: string;
  to: string;
  apps: number;
  usage_rows: number;
  audit_rows: number;
  /** Closed runs of the window from Temporal visibility. */
  workflow_runs: number;
  /** Events rolled up when the window is one whole UTC hour (the daily job merges those rollups). */
  hour_rollup_events?: number;
}

/** How far back the fresh ETL looks each minute (late writes inside it are caught again). */
export const FRESH_LOOKBACK_MS = 5 * MINUTE_MS;

export async function hourlyEtl(input: HourlyEtlInput = {}): Promise<HourlyEtlResult> {
  const info = workflowInfo();
  if (input.from !== undefined && input.to !== undefined) return collect(input.from, input.to, input);
  const due = (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime).getTime();
  if (input.kind === 'fresh') {
    const to = floorTo(due, MINUTE_MS);
    return collect(iso(to - FRESH_LOOKBACK_MS), iso(to), input);
  }
  const hour = previousHour(due);
  const from = iso(hour.from);
  const to = iso(hour.to);
  const id = workflowIds.etl(from);
  if (info.workflowId === id) return collect(from, to, input);
  return executeChild(hourlyEtl, {
    workflowId: id,
    args: [{ ...input, from, to }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
}

async function collect(from: string, to: string, input: HourlyEtlInput): Promise<HourlyEtlResult> {
  if (!(Date.parse(from) < Date.parse(to))) {
    throw ApplicationFailure.create({ type: 'invalid_window', message: `empty ETL window ${from} .. ${to}`, nonRetryable: true });
  }
  const apps = await lookups.listEtlApps();
  const mode = input.mode ?? 'etl';
  const jobs = apps.flatMap((appId) =>
    mode === 'reprice'
      ? [{ appId, source: 'usage' as const }]
      : [{ appId, source: 'usage' as const }, { appId, source: 'audit' as const }],
  );
  const results: { source: string; result: EtlWindowResult }[] = await inBatches(jobs, input.concurrency ?? 4, async (job) => ({
    source: job.source,
    result: await scans.etlWindow({ ...job, from, to, mode, ...(input.priceTableVersion ? { priceTableVersion: input.priceTableVersion } : {}) }),
  }));
  const rows = (source: string) => results.filter((r) => r.source === source).reduce((sum, r) => sum + r.result.rows, 0);
  const runs = mode === 'etl' ? (await scans.etlWorkflowRuns({ from, to })).rows : 0;
  const result: HourlyEtlResult = { from, to, apps: apps.length, usage_rows: rows('usage'), audit_rows: rows('audit'), workflow_runs: runs };
  const start = Date.parse(from);
  if (start % HOUR_MS === 0 && Date.parse(to) - start === HOUR_MS && patched('hourly-rollup')) {
    result.hour_rollup_events = (await scans.aggregateHour(from)).events;
  }
  return result;
}
