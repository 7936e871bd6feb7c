/**
 * The HTTP API (Fastify). Routes are registered by feature; every body is validated with zod and
 * every error leaves in the `{"error": {...}}` shape.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { DependencyProbe } from './health';
import { installErrorHandler } from './errors';
import { healthRoutes } from './routes/health';

export interface ApiDeps {
  probes: DependencyProbe[];
  logLevel: string;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel },
    bodyLimit: 1024 * 1024,
    disableRequestLogging: deps.logLevel !== 'debug' && deps.logLevel !== 'trace',
  });
  installErrorHandler(app);
  healthRoutes(app, deps.probes);
  await app.ready();
  return app;
}
