/**
 * Closed workflow runs of a window, from Temporal visibility into ClickHouse `workflow_runs`
 * (type, kind, template, status, duration, history length), for run-level analytics. Visibility is
 * one namespace for every tenant, so this is a system-level read; each run's app comes from its
 * `TesseraAppId` search attribute (`_system` without one). Idempotent like the event ETL.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { SYSTEM_APP_ID } from '../../stores/app-directory';
import type { ClickHouseStore } from '../../stores/clickhouse';
import { SA } from '../../workflows/contract';
import { chDateTime, insertBatch } from './clickhouse-batch';

const BATCH = 5_000;

export async function etlWorkflowRuns(
  deps: { clickhouse: ClickHouseStore; temporal?: Client },
  window: { from: string; to: string },
): Promise<{ rows: number }> {
  if (!deps.temporal) return { rows: 0 };
  const query = `CloseTime >= "${new Date(window.from).toISOString()}" AND CloseTime < "${new Date(window.to).toISOString()}"`;
  let rows: Record<string, unknown>[] = [];
  let total = 0;
  const flush = async () => {
    await insertBatch(deps.clickhouse, 'workflow_runs', 'etl:runs', rows, Date.now());
    total += rows.length;
    rows = [];
    try {
      Context.current().heartbeat({ rows: total });
    } catch {
      // outside an activity
    }
  };
  for await (const run of deps.temporal.workflow.list({ query })) {
    if (!run.closeTime) continue;
    rows.push({
      event_id: `${run.workflowId}:${run.runId}`,
      app_id: run.typedSearchAttributes.get(SA.appId) ?? SYSTEM_APP_ID,
      ts: chDateTime(run.closeTime),
      workflow_id: run.workflowId,
      run_id: run.runId,
      workflow_type: run.type,
      kind: run.typedSearchAttributes.get(SA.kind) ?? '',
      template: run.typedSearchAttributes.get(SA.template) ?? '',
      status: run.status.name,
      close_time: chDateTime(run.closeTime),
      duration_ms: Math.max(0, run.closeTime.getTime() - run.startTime.getTime()),
      history_length: run.historyLength,
    });
    if (rows.length >= BATCH) await flush();
  }
  if (rows.length > 0) await flush();
  return { rows: total };
}
