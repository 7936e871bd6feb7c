/**
 * The route contract (src/api/route-contract.ts) is structural: a route that neither authenticates
 * in `onRequest` with a guard nor says it is open cannot be registered, and a guarded route is
 * documented with its security and the statuses the server answers for it.
 */
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { expect, it } from 'vitest';
import type { ApiRuntime } from '../../src/api/runtime';
import { guard } from '../../src/api/auth/guard';
import { installErrorHandler } from '../../src/api/errors';
import { installRouteContract } from '../../src/api/route-contract';

// The guard is never called here: only what it admits is read.
const runtime = {} as ApiRuntime;

it('refuses to register a route without a guard or config.open', async () => {
  const app = Fastify({ logger: false });
  installRouteContract(app);
  await expect(
    app
      .register(async (scope) => {
        scope.post('/v1/unguarded', async () => ({ ok: true }));
      })
      .ready(),
  ).rejects.toThrow(/POST \/v1\/unguarded has no authentication/);
  await app.close();
});

it('refuses a guard that only runs after validation (preHandler)', async () => {
  const app = Fastify({ logger: false });
  installRouteContract(app);
  await expect(
    app
      .register(async (scope) => {
        scope.post('/v1/late', { preHandler: guard(runtime, ['admin']) }, async () => ({ ok: true }));
      })
      .ready(),
  ).rejects.toThrow(/has no authentication/);
  await app.close();
});

it('documents a guarded route with its roles and the statuses the server answers for it', async () => {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installRouteContract(app);
  const schemas: Record<string, { security?: unknown; response?: Record<string, unknown> }> = {};
  app.addHook('onRoute', (route) => {
    schemas[`${String(route.method)} ${route.url}`] = route.schema as (typeof schemas)[string];
  });
  app.post('/v1/guarded', { onRequest: guard(runtime, ['app', 'runtime'], { queryToken: true }) }, async () => ({ ok: true }));
  app.get('/open', { config: { open: true } }, async () => ({ ok: true }));
  await app.ready();
  expect(schemas['POST /v1/guarded']?.security).toEqual([{ bearer: ['app', 'runtime'] }, { access_token: ['app', 'runtime'] }]);
  expect(Object.keys(schemas['POST /v1/guarded']?.response ?? {}).sort()).toEqual(['400', '401', '403', '408', '413', '414', '415', '431']);
  expect(schemas['GET /open']?.security).toEqual([]);
  expect(Object.keys(schemas['GET /open']?.response ?? {}).sort()).toEqual(['400', '408', '414', '431']);
  await app.close();
});

it('treats a CORS preflight as open, and a catch-all route makes no unknown path a 405', async () => {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installRouteContract(app);
  app.options('*', async (_request, reply) => reply.status(204).send());
  app.post('/v1/guarded', { onRequest: guard(runtime, ['admin']) }, async () => ({ ok: true }));
  await app.ready();
  const known = await app.inject({ method: 'GET', url: '/v1/guarded' });
  expect(known.statusCode).toBe(405);
  expect(known.headers.allow).toBe('OPTIONS, POST');
  const unknown = await app.inject({ method: 'GET', url: '/v1/nowhere' });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  await app.close();
});
