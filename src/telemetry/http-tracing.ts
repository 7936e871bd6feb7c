/**
 * One server span per API request, the parent of everything the request does (the Temporal
 * client's Update-with-Start, and through its headers the workflow, activities and LLM call).
 * The incoming `traceparent` is honoured, so a caller's trace continues through Tessera.
 *
 * The span is made active around each route's handler (wrapped at registration, `onRoute`),
 * and its trace id is bound to the request's logger, so every line of the request names it.
 * Without a registered tracer provider the API is a no-op and nothing here costs more than that.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { requestTenant } from './request-log';

declare module 'fastify' {
  interface FastifyRequest {
    otelSpan?: Span;
  }
}

const tracer = () => trace.getTracer('tessera-api');

export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unknown route'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': request.routeOptions.url ?? '',
          'tessera.request_id': request.id,
        },
      },
      parent,
    );
    const spanContext = span.spanContext();
    if (!trace.isSpanContextValid(spanContext)) return; // tracing is off
    request.otelSpan = span;
    request.log = request.log.child({ trace_id: spanContext.traceId });
    void reply.header('traceparent', `00-${spanContext.traceId}-${spanContext.spanId}-0${spanContext.traceFlags.toString(16)}`);
  });

  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function tracedHandler(this: FastifyInstance, request, reply) {
      const span = request.otelSpan;
      if (!span) return handler.call(this, request, reply);
      return context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply));
    };
  });

  app.addHook('onResponse', async (request, reply) => {
    const span = request.otelSpan;
    if (!span) return;
    const { app_id, chat_id } = requestTenant(request);
    span.setAttributes({
      'http.response.status_code': reply.statusCode,
      ...(app_id ? { 'tessera.app_id': app_id } : {}),
      ...(chat_id ? { 'tessera.chat_id': chat_id } : {}),
    });
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}

