/**
 * Heartbeats for a call that is usually short: none during its first seconds, then on every
 * chunk (the SDK throttles what reaches the server). Each heartbeat that reaches the server is a
 * request to the history service and, on Temporal Cloud, a billable action; a chat turn's LLM call
 * mostly ends before the quiet time does, so it sends none (two per turn before, measured by
 * bench/turn-cost.ts). Nothing is lost: the server's heartbeat timeout counts from the activity's
 * start, so a worker that dies still gives the call up as soon as before, and a cancellation (an
 * interrupted turn) reaches a long call with its first heartbeat.
 */
import type { Context } from '@temporalio/activity';

export const QUIET_HEARTBEAT_MS = 2_000;

export function quietHeartbeat(activity: Pick<Context, 'heartbeat'>, quietMs = QUIET_HEARTBEAT_MS): (details: unknown) => void {
  const startedAt = Date.now();
  return (details) => {
    if (Date.now() - startedAt >= quietMs) activity.heartbeat(details);
  };
}
