/**
 * dailyAggregation: rolls up one UTC day of usage per app, model, template and user, then applies
 * retention by each app's tier (messages past it archived, verified, deleted, audited). Started by
 * Schedule `tessera-agg-daily` at 00:30 UTC for the day that just ended (as the child
 * `agg:{yyyy-mm-dd}`), or with an explicit day by backfill and re-pricing.
 */
import { executeChild, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { AggregateDayResult, RetainAppResult } from '../activities/analytics';
import { previousDay } from '../domain/analytics';
import { inBatches, lookups, scans } from './analytics/activities';
import { SCHEDULED_START_TIME, workflowIds } from './contract';

export interface DailyAggregationInput {
  day?: string;
  /** Skip retention (re-aggregating a past day after a backfill or re-pricing). */
  rollupOnly?: boolean;
}

export interface DailyAggregationResult {
  rollup: AggregateDayResult;
  retention: { app_id: string; archived: number; files: number }[];
}

export async function dailyAggregation(input: DailyAggregationInput = {}): Promise<DailyAggregationResult> {
  const info = workflowInfo();
  if (input.day === undefined) {
    const due = (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime).getTime();
    const day = previousDay(due);
    return executeChild(dailyAggregation, {
      workflowId: workflowIds.aggregation(day),
      args: [{ ...input, day }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  }
  const day = input.day;
  const rollup = await scans.aggregateDay(day);
  if (input.rollupOnly) return { rollup, retention: [] };
  const apps = await lookups.listRetentionApps();
  const retained: RetainAppResult[] = await inBatches(apps, 2, (app) => scans.retainApp({ appId: app.app_id, tier: app.tier, day }));
  return {
    rollup,
    retention: apps.map((app, i) => ({ app_id: app.app_id, archived: retained[i]?.archived ?? 0, files: retained[i]?.files.length ?? 0 })),
  };
}
