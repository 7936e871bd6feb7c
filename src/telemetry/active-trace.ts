/** The active span's trace id, for log lines and records that point at their trace. */
import { trace } from '@opentelemetry/api';

/** The trace id of the active span, if there is a valid one (tracing on, inside a traced call). */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
