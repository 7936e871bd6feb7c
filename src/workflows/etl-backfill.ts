/**
 * etlBackfill: collects every hour of a range again (`POST /v1/ops/etl/backfill`) or re-prices it
 * (`POST /v1/ops/reprice`), a few hours at a time as `hourlyEtl` children, then rebuilds the
 * rollups of the days it touched that are already closed.
 */
import { executeChild, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { EtlMode } from '../activities/analytics';
import { dayWindow, daysTouched, hoursOf, iso } from '../domain/analytics';
import { inBatches } from './analytics/activities';
import { dailyAggregation } from './daily-aggregation';
import { hourlyEtl } from './hourly-etl';

export interface EtlBackfillInput {
  from: string;
  to: string;
  mode: EtlMode;
  /** Hours collected side by side. */
  concurrency: number;
  /** Re-pricing: refuse unless the workers price with this version. */
  priceTableVersion?: string;
}

export interface EtlBackfillResult {
  hours: number;
  usage_rows: number;
  audit_rows: number;
  days_reaggregated: string[];
}

export async function etlBackfill(input: EtlBackfillInput): Promise<EtlBackfillResult> {
  const range = { from: Date.parse(input.from), to: Date.parse(input.to) };
  const hours = hoursOf(range);
  const parent = workflowInfo().workflowId;
  const results = await inBatches(hours, input.concurrency, (hour) =>
    executeChild(hourlyEtl, {
      workflowId: `${parent}:${iso(hour.from)}`,
      args: [{ from: iso(hour.from), to: iso(hour.to), mode: input.mode, ...(input.priceTableVersion ? { priceTableVersion: input.priceTableVersion } : {}) }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    }),
  );
  const now = Date.now(); // workflow time: deterministic
  const closedDays = daysTouched(range).filter((day) => dayWindow(day).to <= now);
  for (const day of closedDays) {
    await executeChild(dailyAggregation, {
      workflowId: `${parent}:agg:${day}`,
      args: [{ day, rollupOnly: true }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  }
  return {
    hours: hours.length,
    usage_rows: results.reduce((sum, r) => sum + r.usage_rows, 0),
    audit_rows: results.reduce((sum, r) => sum + r.audit_rows, 0),
    days_reaggregated: closedDays,
  };
}
