/**
 * One line per finished API request at debug level, naming what it was about: the app (from the
 * caller's credential), the chat (from the route), the status, the route. Never a body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The app and chat a request was about, where known. */
export function requestTenant(request: FastifyRequest): { app_id?: string; chat_id?: string } {
  const caller = request.caller;
  const params = request.params as Record<string, unknown> | undefined;
  return {
    ...(caller && caller.kind !== 'admin' ? { app_id: caller.appId } : {}),
    ...(typeof params?.chat_id === 'string' ? { chat_id: params.chat_id } : {}),
  };
}

export function logRequestOutcomes(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.log.level !== 'debug' && request.log.level !== 'trace') return;
    request.log.debug(
      { ...requestTenant(request), route: request.routeOptions.url, status_code: reply.statusCode, elapsed_ms: Math.round(reply.elapsedTime) },
      'request done',
    );
  });
}
