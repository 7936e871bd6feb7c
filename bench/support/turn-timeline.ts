/**
 * Where a chat turn's time went, read from its workflow's history: how long its workflow tasks and
 * activity tasks waited between scheduled and started (queueing: matching, worker slots), how long
 * they ran, and the rest (the API, admission, the Update's round trips).
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface TurnWindow {
  /** Wall-clock ms (Date.now()) the client sent the turn and got the reply. */
  from: number;
  to: number;
}

export interface TurnTimeline {
  totalMs: number;
  /** Workflow tasks: scheduled → started. */
  workflowTaskWaitMs: number;
  /** Workflow tasks: started → completed (the turn's local activities — its MongoDB and Redis writes — run in them). */
  workflowTaskRunMs: number;
  /** Activity tasks (the LLM call): scheduled → started. */
  activityWaitMs: number;
  /** Activity tasks: started → completed. */
  activityRunMs: number;
  /** Everything else: HTTP, admission, the Update's round trips. */
  otherMs: number;
}

function ms(event: HistoryEvent | undefined): number {
  const time = event?.eventTime;
  return time ? Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6) : NaN;
}

/** Splits each window's time from the events of `workflowId`'s history (every run) that fall in it. */
export async function turnTimelines(client: Client, workflowId: string, windows: readonly TurnWindow[]): Promise<TurnTimeline[]> {
  const events: HistoryEvent[] = [];
  let runId: string | undefined;
  // Follow the chain of runs backwards (continue-as-new) until the first window is covered.
  for (;;) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    const runEvents = history.events ?? [];
    events.unshift(...runEvents);
    const previous = runEvents[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous || ms(runEvents[0]) <= (windows[0]?.from ?? 0)) break;
    runId = previous;
  }
  const byId = new Map(events.map((event) => [Number(event.eventId), event]));
  return windows.map(({ from, to }) => {
    let workflowTaskWaitMs = 0;
    let workflowTaskRunMs = 0;
    let activityWaitMs = 0;
    let activityRunMs = 0;
    for (const event of events) {
      const at = ms(event);
      if (at < from || at > to) continue;
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
        workflowTaskWaitMs += at - ms(byId.get(Number(event.workflowTaskStartedEventAttributes?.scheduledEventId)));
      } else if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        workflowTaskRunMs += at - ms(byId.get(Number(event.workflowTaskCompletedEventAttributes?.startedEventId)));
      } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        activityWaitMs += at - ms(byId.get(Number(event.activityTaskStartedEventAttributes?.scheduledEventId)));
      } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        activityRunMs += at - ms(byId.get(Number(event.activityTaskCompletedEventAttributes?.startedEventId)));
      }
    }
    const totalMs = to - from;
    const otherMs = totalMs - workflowTaskWaitMs - workflowTaskRunMs - activityWaitMs - activityRunMs;
    return { totalMs, workflowTaskWaitMs, workflowTaskRunMs, activityWaitMs, activityRunMs, otherMs };
  });
}
