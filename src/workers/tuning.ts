import type { WorkerOptions } from '@temporalio/worker';

/**
 * Chat worker tuning (slots, sticky cache, pollers), shared by the launcher's in-process worker,
 * worker processes and bench/chat-turn. Empty on purpose: the SDK's defaults stand until a
 * bench/chat-turn run shows a setting that pays (docs/design-notes.md, "Next steps").
 */
export const CHAT_WORKER_TUNING = {} as const satisfies Partial<WorkerOptions>;
