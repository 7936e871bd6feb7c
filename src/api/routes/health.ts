import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthView } from '../../domain/api/health';
import { probeAll, type DependencyProbe } from '../health';

/** `GET /api/health` (open): 200 when every dependency is up, 503 naming the ones that are down. */
export function healthRoutes(scope: FastifyInstance, probes: DependencyProbe[]): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.get('/api/health', {
    config: { open: true },
    schema: {
      tags: ['health'],
      summary: 'Liveness, and the state of each dependency (open: no credential)',
      response: { 200: healthView, 503: healthView },
    },
  }, async (_request, reply) => {
    const health = await probeAll(probes);
    const down = Object.entries(health.dependencies)
      .filter(([, state]) => state.status === 'down')
      .map(([name]) => name);
    return reply.status(down.length === 0 ? 200 : 503).send(down.length === 0 ? health : { ...health, down });
  });
}
