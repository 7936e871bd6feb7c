/**
 * Workflow interceptors bundled when tracing is on (src/telemetry/tracing.ts): Temporal's
 * OpenTelemetry interceptors, plus one thing they do not do. A chat turn arrives as an Update but
 * runs in the session's main loop, so its activities would hang under the span of whatever started
 * the workflow (the first request of the chat). Here each activity of a turn is scheduled in the
 * context of that turn's `HandleUpdate` span (the Update id is the turn id), so a turn's activities
 * and LLM call sit in the trace of the request that sent it.
 *
 * Only headers change, never commands: histories are the same with tracing on or off.
 * (ESLint lets this one module import `@opentelemetry/api` and the interceptors' workflow entry.)
 */
import * as otel from '@opentelemetry/api';
import { interceptors as openTelemetryInterceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  UpdateInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

function turnIdOf(args: unknown[]): string | undefined {
  const first = args[0];
  if (first && typeof first === 'object' && 'turnId' in first && typeof first.turnId === 'string') return first.turnId;
  return undefined;
}

export const interceptors = (): WorkflowInterceptors => {
  const base = openTelemetryInterceptors();
  // Per workflow: the factory runs for each workflow execution.
  const turns = new Map<string, otel.Context>();
  const inbound: WorkflowInboundCallsInterceptor = {
    async handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
      turns.set(input.updateId, otel.context.active());
      try {
        return await next(input);
      } finally {
        turns.delete(input.updateId);
      }
    },
  };
  const inTurn = <T>(args: unknown[], run: () => T): T => {
    const turnId = turnIdOf(args);
    const context = turnId === undefined ? undefined : turns.get(turnId);
    return context ? otel.context.with(context, run) : run();
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) =>
      inTurn(input.args, () => next(input)),
    scheduleLocalActivity: (input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) =>
      inTurn(input.args, () => next(input)),
  };
  return {
    // Inbound: Temporal's first (it opens the HandleUpdate span this one records).
    inbound: [...(base.inbound ?? []), inbound],
    // Outbound: this one first, so Temporal's StartActivity span opens in the turn's context.
    outbound: [outbound, ...(base.outbound ?? [])],
    internals: base.internals ?? [],
  };
};
