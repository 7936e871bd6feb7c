/**
 * OpenTelemetry tracing, on only when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`).
 * Off, nothing is registered: no tracer provider, no interceptors, no workflow interceptor module in
 * the bundle, so an untraced deployment pays nothing.
 *
 * On, one trace follows a turn across processes: the API request span (src/telemetry/http-tracing),
 * the Temporal client's Update-with-Start (its interceptor puts the context into the workflow's
 * headers), the workflow and its activities (Temporal's workflow and activity interceptors; workflow
 * spans leave the sandbox through a sink) and the LLM call inside `llmStep`.
 *
 * The workflow interceptors only add headers and sink calls, never commands: turning tracing on or
 * off does not change a workflow's history, and old histories replay either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

export interface TracingOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`); spans go to `<endpoint>/v1/traces`. Unset: off. */
  endpoint: string | undefined;
  /** `service.name` of this process's spans. */
  serviceName: string;
}

export interface Tracing {
  readonly enabled: boolean;
  /** For `new Client({ interceptors })`: the client's calls start spans and carry the context. */
  readonly clientInterceptors: ClientInterceptors | undefined;
  /** Worker options that trace workflows and activities (empty when off). A worker given a
   * prebuilt bundle gets no workflow modules (the bundle must hold them: `workflowInterceptorModules`). */
  workerOptions(bundle: 'prebuilt' | 'source'): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Workflow interceptor modules the workflow bundle must include (none when off). */
  readonly workflowInterceptorModules: string[];
  /** Flushes what is buffered and unregisters the provider. */
  shutdown(): Promise<void>;
}

/** The workflow-side interceptors (Temporal's OpenTelemetry ones, turns in their request's trace), bundled with the workflows. */
export const OTEL_WORKFLOW_INTERCEPTORS = (() => {
  const base = path.join(__dirname, '..', 'workflows', 'tracing-interceptors');
  return ['.ts', '.js'].map((extension) => base + extension).find((file) => fs.existsSync(file)) ?? `${base}.js`;
})();

const DISABLED: Tracing = {
  enabled: false,
  clientInterceptors: undefined,
  workerOptions: () => ({}),
  workflowInterceptorModules: [],
  shutdown: async () => undefined,
};

export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

export function startTracing(options: TracingOptions): Tracing {
  if (!options.endpoint) return DISABLED;
  const resource = new Resource({ 'service.name': options.serviceName });
  const processor: SpanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }), {
    scheduledDelayMillis: 500,
  });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the async-hooks context manager and W3C trace context propagation.
  provider.register();
  return {
    enabled: true,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    workerOptions: (bundle) => ({
      interceptors: {
        ...(bundle === 'source' ? { workflowModules: [OTEL_WORKFLOW_INTERCEPTORS] } : {}),
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    }),
    workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS],
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

