/**
 * `GET /console/api/config`: what the console's pages need to know about this deployment that no
 * API answer carries: the Temporal Web UI to link a chat's or a run's workflow to
 * (`TESSERA_TEMPORAL_UI_URL`, by default the embedded dev server's UI). Hidden from the API document
 * like the console's other routes; read with the console cookie (or the admin key or an app key).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../../domain/api/errors';
import { guard } from '../auth/guard';
import type { ApiRuntime } from '../runtime';

export const consoleConfigView = z.object({
  temporal_ui: z
    .object({ url: z.string(), namespace: z.string() })
    .nullable()
    .describe('The Temporal Web UI (a workflow is at `<url>/namespaces/<namespace>/workflows/<workflow id>`); null: none to link to'),
});

export function consoleConfigRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.get('/console/api/config', {
    onRequest: guard(runtime, ['admin', 'app']),
    schema: { hide: true, response: { 200: consoleConfigView, ...errorResponses(401, 403) } },
  }, async () => ({ temporal_ui: runtime.temporalUi ?? null }));
}
