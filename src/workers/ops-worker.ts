/**
 * The `tessera-ops` worker (monitor and remediation) and what keeps the monitor running: the
 * long-running fast loop `ops-monitor` (started once; a second start joins the running one) and
 * the Schedule `tessera-ops-monitor`, a short monitoring pass at a configurable interval as a
 * backstop should the loop ever stop.
 */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createOpsActivities, type OpsActivityDeps } from '../activities/ops';
import { SA, TASK_QUEUES } from '../workflows/contract';
import { OPS_IDS } from '../workflows/ops-contract';
import type { opsMonitor, OpsMonitorInput } from '../workflows/ops-monitor';
import { runWorkers, type RunningWorkers } from './start-workers';

export interface OpsWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: OpsActivityDeps;
  workflowBundle: { code: string } | { codePath: string };
  /** Added to the worker (tracing's interceptors and sink). */
  extra?: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
}

export async function startOpsWorker(opts: OpsWorkerOptions): Promise<RunningWorkers> {
  const worker = await Worker.create({
    ...opts.extra,
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.deps.taskQueue,
    workflowBundle: opts.workflowBundle,
    activities: createOpsActivities(opts.deps),
    maxConcurrentActivityTaskExecutions: 20,
  });
  return runWorkers([worker]);
}

export interface OpsMonitorOptions {
  taskQueue?: string;
  /** Interval of the Schedule's pass, in seconds. */
  scheduleSeconds: number;
  /** Start the fast loop too (seconds between its samples come from the policies unless given). */
  fastLoop: boolean;
  fastLoopIntervalSeconds?: number;
}

/** Idempotent: creates or updates the Schedule, and starts the fast loop unless it runs already. */
export async function ensureOpsMonitor(client: Client, opts: OpsMonitorOptions): Promise<{ schedule: string; fastLoop?: string }> {
  const taskQueue = opts.taskQueue ?? TASK_QUEUES.ops;
  const searchAttributes = { typedSearchAttributes: [{ key: SA.kind, value: 'ops-monitor' }, { key: SA.appId, value: '_system' }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'opsMonitor' satisfies typeof opsMonitor.name,
    workflowId: OPS_IDS.scheduledWorkflow,
    taskQueue,
    args: [{ mode: 'pass' } satisfies OpsMonitorInput],
    workflowExecutionTimeout: '10 minutes',
    ...searchAttributes,
  };
  const spec = { intervals: [{ every: `${opts.scheduleSeconds} seconds` }] };
  try {
    await client.schedule.create({ scheduleId: OPS_IDS.schedule, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' } });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(OPS_IDS.schedule).update((previous) => ({ ...previous, spec, action }));
  }
  if (!opts.fastLoop) return { schedule: OPS_IDS.schedule };
  try {
    await client.workflow.start<typeof opsMonitor>('opsMonitor', {
      workflowId: OPS_IDS.fastLoop,
      taskQueue,
      args: [{ mode: 'loop', ...(opts.fastLoopIntervalSeconds ? { intervalSeconds: opts.fastLoopIntervalSeconds } : {}) }],
      ...searchAttributes,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return { schedule: OPS_IDS.schedule, fastLoop: OPS_IDS.fastLoop };
}
