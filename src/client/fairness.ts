/**
 * An app's Temporal task-queue priority: `app_id` is the fairness key of everything it starts, so
 * one app's backlog is dispatched in turn with the other apps' instead of ahead of them (Priority
 * and Fairness, server ≥ 1.29; an older server accepts and ignores it). Activities and child
 * workflows inherit it. The weight is lowered while the ops autopilot throttles the app.
 */
import type { Priority } from '@temporalio/common';

export function appPriority(appId: string, fairnessWeight?: number): Priority {
  return { fairnessKey: appId, ...(fairnessWeight !== undefined ? { fairnessWeight } : {}) };
}
