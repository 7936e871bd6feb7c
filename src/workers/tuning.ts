import type { WorkerOptions } from '@temporalio/worker';

/**
 * Chat worker tuning (slots, sticky cache, pollers), shared by the launcher's in-process worker,
 * worker processes and the benchmarks. Empty on purpose: `npm run bench:turn-cost` (50 chats at once)
 * found no worker setting to be the limit — no sticky-cache miss, a third of the activity slots
 * idle, workflow slots full only because the CPU was (docs/design-notes.md, "Worker tuning").
 */
export const CHAT_WORKER_TUNING = {} as const satisfies Partial<WorkerOptions>;

/** The worker options a benchmark may set over `CHAT_WORKER_TUNING` (plain values: they cross IPC). */
export type ChatWorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxConcurrentWorkflowTaskPolls'
    | 'maxConcurrentActivityTaskPolls'
    | 'nonStickyToStickyPollRatio'
    | 'stickyQueueScheduleToStartTimeout'
    | 'maxEagerActivityReservationsPerWorkflowTask'
    | 'workflowTaskPollerBehavior'
    | 'activityTaskPollerBehavior'
    | 'maxCachedWorkflows'
  >
>;
