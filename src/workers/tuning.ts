import type { WorkerOptions } from '@temporalio/worker';

/**
 * Worker tuning, from bench/chat-turn on the 2-core machine (docs/design-notes.md, "Worker
 * tuning"). A chat turn's workflow tasks and local activities are short and CPU-bound; the LLM
 * activity mostly waits on the network. Activities therefore get many slots (they wait, they do not
 * compute), workflow tasks fewer, and the sticky cache holds every chat a worker is likely to see
 * between two of its turns, so a turn never replays its history from the start.
 */
export const CHAT_WORKER_TUNING = {
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 200,
  maxConcurrentLocalActivityExecutions: 200,
  maxCachedWorkflows: 2000,
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
  activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
} as const satisfies Partial<WorkerOptions>;
