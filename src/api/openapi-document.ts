/**
 * The last touch on the generated OpenAPI document. A server-sent-events route declares
 * `produces: ['text/event-stream']`, which @fastify/swagger applies to every response of the route;
 * but only its 200 is an event stream, its errors are the usual JSON error body. Here each error
 * response of such a route is described as `application/json`, and the 200 as the event stream.
 */
const EVENT_STREAM = 'text/event-stream';
const JSON_TYPE = 'application/json';

interface MediaType {
  schema?: unknown;
}
interface Response {
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses?: Record<string, Response>;
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
}

export function describeEventStreamResponses<T>(document: T): T {
  const paths = (document as Document).paths ?? {};
  for (const methods of Object.values(paths)) {
    for (const operation of Object.values(methods)) {
      const responses = operation.responses;
      if (!responses || !Object.values(responses).some((response) => response.content?.[EVENT_STREAM])) continue;
      for (const [status, response] of Object.entries(responses)) {
        const stream = response.content?.[EVENT_STREAM];
        if (!stream || Number(status) < 400) continue;
        response.content = { [JSON_TYPE]: stream };
      }
      responses['200'] ??= {
        description: 'The event stream: `id:` lines carry the event id to resume from (`Last-Event-ID`), `data:` lines one JSON event each',
        content: { [EVENT_STREAM]: { schema: { type: 'string' } } },
      };
    }
  }
  return document;
}
