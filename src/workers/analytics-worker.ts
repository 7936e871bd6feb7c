/**
 * The `tessera-analytics` worker: ETL, aggregation, retention. Its activities touch ClickHouse,
 * which in the embedded stack is chDB bound to the launcher process, so it runs there.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createAnalyticsActivities, type AnalyticsDeps } from '../activities/analytics';
import { TASK_QUEUES } from '../workflows/contract';
import { runWorkers, type RunningWorkers } from './start-workers';

export interface AnalyticsWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: AnalyticsDeps;
  workflowBundle: { code: string } | { codePath: string };
  taskQueue?: string;
  /** Added to the worker (tracing's interceptors and sink). */
  extra?: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
}

export async function startAnalyticsWorker(opts: AnalyticsWorkerOptions): Promise<RunningWorkers> {
  const worker = await Worker.create({
    ...opts.extra,
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUES.analytics,
    workflowBundle: opts.workflowBundle,
    activities: createAnalyticsActivities(opts.deps),
    // Scans are long and share two cores with everything else: a few at a time.
    maxConcurrentActivityTaskExecutions: 4,
    maxConcurrentWorkflowTaskExecutions: 10,
  });
  return runWorkers([worker]);
}
