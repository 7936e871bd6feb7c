import type { FastifyInstance } from 'fastify';
import { probeAll, type DependencyProbe } from '../health';

/** `GET /api/health`: 200 when every dependency is up, 503 naming the ones that are down. */
export function healthRoutes(app: FastifyInstance, probes: DependencyProbe[]): void {
  app.get('/api/health', async (_request, reply) => {
    const health = await probeAll(probes);
    const down = Object.entries(health.dependencies)
      .filter(([, state]) => state.status === 'down')
      .map(([name]) => name);
    return reply.status(down.length === 0 ? 200 : 503).send(down.length === 0 ? health : { ...health, down });
  });
}
