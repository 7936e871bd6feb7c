/**
 * Where a Tessera turn's first-token time goes, hop by hop: client-side stamps (POST sent, 202,
 * the model's request arriving at the offline model, first delta at the SSE client) against the
 * chat workflow's own history (the Update's workflow task scheduled, started and completed, the
 * `llmStep` activity task started), all on one machine's wall clock. The dev server's own
 * latencies per operation (Prometheus histograms) say what a hop costs inside the server.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from '../report';
import { diff, prometheusCounts, type Counts } from './op-counts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** One turn seen from outside (`preciseNow` ms). */
export interface TurnStamps {
  turnId: string;
  sentAt: number;
  acceptedAt: number;
  /** The turn's model request reached the offline model. */
  modelAt?: number;
  firstDeltaAt: number;
}

/** Stage → milliseconds, one turn. */
export type Stages = Record<string, number>;

/** The stages of a turn that does not go through Temporal (the baselines). */
export function baselineStages(turn: TurnStamps): Stages | undefined {
  if (turn.modelAt === undefined) return undefined;
  return { 'POST → model request': turn.modelAt - turn.sentAt, 'model request → first delta at the client': turn.firstDeltaAt - turn.modelAt };
}

function at(event: HistoryEvent | undefined): number {
  const time = event?.eventTime;
  return time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : NaN;
}

/** The chat's runs, oldest first, each its own history: event ids start at 1 again in every run a
 * continue-as-new began, so a turn's events are looked up in its own run only. */
async function chatRuns(client: Client, workflowId: string): Promise<HistoryEvent[][]> {
  const runs: HistoryEvent[][] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const runEvents = history.events ?? [];
    runs.unshift(runEvents);
    runId = runEvents[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) return runs;
  }
}

function isAcceptedUpdate(event: HistoryEvent, updateId: string): boolean {
  return event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === updateId;
}

/** Each Tessera turn's stages, from its Update's accepted event back to the workflow task that
 * accepted it, and forward to the first activity task it scheduled. */
/** `activityType`: the activity that calls the model (bench:ttft's floor (c) runs `noop` instead). */
export async function tesseraStages(client: Client, workflowId: string, turns: readonly TurnStamps[], activityType = 'llmStep'): Promise<Stages[]> {
  const runs = await chatRuns(client, workflowId);
  const out: Stages[] = [];
  for (const turn of turns) {
    const events = runs.find((run) => run.some((event) => isAcceptedUpdate(event, turn.turnId)));
    const accepted = events?.find((event) => isAcceptedUpdate(event, turn.turnId));
    if (!events || !accepted) continue;
    const byId = new Map(events.map((event) => [Number(event.eventId), event]));
    // The accepting task's completed event is the one right before the accepted event.
    const completed = [...events].reverse().find((event) => Number(event.eventId) < Number(accepted.eventId) && event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const started = byId.get(Number(completed?.workflowTaskCompletedEventAttributes?.startedEventId));
    const scheduled = byId.get(Number(completed?.workflowTaskCompletedEventAttributes?.scheduledEventId));
    const activityScheduled = events.find(
      (event) => Number(event.eventId) > Number(accepted.eventId) && event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && event.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
    );
    const activityStarted = events.find(
      (event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(event.activityTaskStartedEventAttributes?.scheduledEventId) === Number(activityScheduled?.eventId),
    );
    const stages: Stages = {
      'POST → workflow task scheduled (HTTP, API, Update-with-Start into history)': at(scheduled) - turn.sentAt,
      'workflow task scheduled → started (matching, sticky poll)': at(started) - at(scheduled),
      'workflow task started → completed (worker runs it, responds; history writes it)': at(completed) - at(started),
      'workflow task completed → 202 at the client (Update accepted back through frontend, API)': turn.acceptedAt - at(completed),
      'workflow task completed → activity started (transfer task, matching, activity poll)': at(activityStarted) - at(completed),
    };
    if (turn.modelAt !== undefined) {
      stages['activity started → model request (task to worker, begin turn, transcript, budget hold)'] = turn.modelAt - at(activityStarted);
      stages['model request → first delta at the client (model, Redis, API, SSE)'] = turn.firstDeltaAt - turn.modelAt;
    }
    stages['POST → first delta at the client'] = turn.firstDeltaAt - turn.sentAt;
    out.push(stages);
  }
  return out;
}

/** p50 (and p99) of each stage over turns, in the order the stages were first seen. */
export function summarizeStages(samples: readonly Stages[]): { stage: string; p50: number; p99: number; n: number }[] {
  const names = [...new Set(samples.flatMap((stages) => Object.keys(stages)))];
  return names.map((stage) => {
    const values = samples.map((stages) => stages[stage]).filter((value): value is number => value !== undefined && Number.isFinite(value));
    return { stage, p50: Number(percentile(values, 50).toFixed(2)), p99: Number(percentile(values, 99).toFixed(2)), n: values.length };
  });
}

const SERVER_LATENCIES = ['persistence_latency_sum', 'persistence_latency_count', 'service_latency_sum', 'service_latency_count'];

/** The dev server's latency histograms (sum and count by operation), read before and after the measured turns. */
export function serverLatencies(metricsUrl: string): Promise<Counts> {
  return prometheusCounts(metricsUrl, SERVER_LATENCIES, 'operation');
}

/** Mean latency (ms) and calls per operation between two readings, the operations a turn's path uses. */
export function meanServerLatencies(after: Counts, before: Counts, turns: number): { operation: string; calls_per_turn: number; mean_ms: number }[] {
  const delta = diff(after, before);
  const rows: { operation: string; calls_per_turn: number; mean_ms: number }[] = [];
  for (const [key, count] of Object.entries(delta)) {
    const match = /^(persistence|service)_latency_count (.+)$/.exec(key);
    if (!match || count <= 0) continue;
    const [, kind, operation] = match;
    const sum = delta[`${kind}_latency_sum ${operation}`] ?? 0;
    // Server timers are exported in seconds.
    rows.push({ operation: `${kind} ${operation}`, calls_per_turn: Number((count / turns).toFixed(2)), mean_ms: Number(((sum / count) * 1000).toFixed(2)) });
  }
  return rows.sort((a, b) => b.calls_per_turn * b.mean_ms - a.calls_per_turn * a.mean_ms);
}

/** Every latency histogram's `_sum` and `_count` at a Prometheus endpoint, summed over labels. */
export async function latencyHistograms(metricsUrl: string): Promise<Counts> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Counts = {};
  for (const line of text.split('\n')) {
    const match = /^(\w*latency\w*_(?:sum|count))(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!match?.[1]) continue;
    out[match[1]] = (out[match[1]] ?? 0) + Number(match[2]);
  }
  return out;
}

/** Mean per histogram between two readings, in the histogram's own unit (its name says which). */
export function meanLatencies(after: Counts, before: Counts, turns: number): { metric: string; per_turn: number; mean: number }[] {
  const delta = diff(after, before);
  return Object.entries(delta)
    .filter(([key, count]) => key.endsWith('_count') && count > 0)
    .map(([key, count]) => {
      const metric = key.slice(0, -'_count'.length);
      return { metric, per_turn: Number((count / turns).toFixed(2)), mean: Number(((delta[`${metric}_sum`] ?? 0) / count).toFixed(3)) };
    });
}
