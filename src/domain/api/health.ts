/** HTTP shape of `GET /api/health`. */
import { z } from 'zod';

export const healthView = z.object({
  status: z.enum(['ok', 'degraded']),
  dependencies: z.record(
    z.string(),
    z.object({ status: z.enum(['up', 'down']), latency_ms: z.number(), error: z.string().optional() }),
  ),
  down: z.array(z.string()).optional().describe('The dependencies that are down (503 only)'),
});
