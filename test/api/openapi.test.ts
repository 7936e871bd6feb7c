/**
 * The OpenAPI 3.1 document is generated from the same zod schemas that validate requests, and it is
 * exact: every operation states its security (open ones `security: []`), and every status a route
 * answers — driven here with no credential, a bad one, one of the wrong kind and the right one,
 * each with a bad body and query — is one the document lists for it. Authentication comes before
 * validation on every route, and other methods on a known path answer 405 with `Allow`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { readErrorBody } from '../support/api-errors';
import { startApiStack, type ApiStack } from '../support/api-stack';

let stack: ApiStack;
let bare: FastifyInstance;

beforeAll(async () => {
  stack = await startApiStack({ label: 'openapi' });
  bare = await buildApi({ logLevel: 'silent', probes: [] });
});

afterAll(async () => {
  await bare?.close();
  await stack?.close();
});

interface Operation {
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> };
  parameters?: { name: string; in: string; description?: string }[];
  responses: Record<string, unknown>;
  security?: Record<string, string[]>[];
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}

async function openApiDocument(): Promise<OpenApiDocument> {
  const response = await fetch(`${stack.url}/v1/openapi.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

function operations(document: OpenApiDocument): { method: string; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

/** A concrete URL of a templated path, with a query every strict query schema refuses. */
const concrete = (path: string) => `${path.replace(/\{[^}]+\}/g, 'no-such-thing')}?bogus=1`;
/** A JSON body no route accepts (every body schema is strict). */
const BAD_BODY = { bogus: '\u0000', from: 'not a time' };
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Sends the route a bad body and query with the given Authorization, and reads the error it answers. */
async function drive(method: string, path: string, authorization?: string): Promise<{ status: number; code: string; headers: Headers }> {
  const response = await fetch(`${stack.url}${concrete(path)}`, {
    method,
    headers: {
      ...(authorization !== undefined ? { authorization } : {}),
      ...(BODY_METHODS.has(method) ? { 'content-type': 'application/json' } : {}),
    },
    ...(BODY_METHODS.has(method) ? { body: JSON.stringify(BAD_BODY) } : {}),
  });
  const { body } = await readErrorBody(response);
  return { status: response.status, code: body.error.code, headers: response.headers };
}

it('documents every v1 route with the schemas it validates', async () => {
  const response = await fetch(`${stack.url}/v1/openapi.json`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as OpenApiDocument;
  expect(document.openapi).toBe('3.1.0');
  const routes = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  for (const route of [
    'POST /v1/apps',
    'GET /v1/apps/{app_id}',
    'PATCH /v1/apps/{app_id}',
    'POST /v1/apps/{app_id}/keys/rotate',
    'POST /v1/sessions',
    'GET /v1/chats',
    'GET /v1/chats/{chat_id}',
    'POST /v1/chats/{chat_id}/messages',
    'GET /v1/chats/{chat_id}/messages',
    'POST /v1/chats/{chat_id}/cancel',
    'POST /v1/chats/{chat_id}/close',
    'GET /api/health',
  ]) {
    expect(routes).toContain(route);
  }
  const sessionBody = document.paths['/v1/sessions']?.post?.requestBody?.content['application/json']?.schema;
  expect(sessionBody?.required?.sort()).toEqual(['template', 'user_id']);
  expect(Object.keys(sessionBody?.properties ?? {}).sort()).toEqual(['chat_id', 'template', 'user_id']);
  const message = document.paths['/v1/chats/{chat_id}/messages']?.post;
  expect(Object.keys(message?.responses ?? {})).toEqual(expect.arrayContaining(['200', '202', '400', '401', '404', '409', '413', '429']));
  expect(message?.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual(expect.arrayContaining(['path:chat_id', 'query:wait']));
});

it('serves a page to read the document at /docs', async () => {
  const response = await bare.inject({ method: 'GET', url: '/docs/' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/text\/html/);
  const json = await bare.inject({ method: 'GET', url: '/docs/json' });
  expect(json.json()).toMatchObject({ openapi: '3.1.0' });
});

it('answers validation failures with the documented error shape', async () => {
  const response = await stack.call('POST', '/v1/apps', { key: stack.adminKey, body: { app_id: 'Bad Id!', name: 'x' } });
  expect(response.status).toBe(400);
  const body = (await response.json()) as { error: { code: string; message: string; details: { path: string }[] } };
  expect(body.error.code).toBe('invalid_request');
  expect(body.error.details[0]?.path).toBe('/app_id');
  const tooBig = await stack.call('POST', '/v1/apps', { key: stack.adminKey, body: { app_id: 'big', name: 'x'.repeat(300 * 1024) } });
  expect(tooBig.status).toBe(413);
  expect(await tooBig.json()).toMatchObject({ error: { code: 'payload_too_large' } });
});

describe('an exact document', () => {
  let credentials: Record<'admin' | 'app' | 'runtime', string>;

  beforeAll(async () => {
    const appKey = await stack.createApp('openapi-walk');
    const session = await stack.call('POST', '/v1/sessions', { key: appKey, body: { template: 'assistant', user_id: 'walker' } });
    expect(session.status).toBe(200);
    credentials = { admin: stack.adminKey, app: appKey, runtime: ((await session.json()) as { runtime_token: string }).runtime_token };
  });

  it('states the security of every operation: only the health check and the console session are open', async () => {
    const document = await openApiDocument();
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['access_token', 'bearer']);
    const open: string[] = [];
    for (const { method, path, operation } of operations(document)) {
      expect(operation.security, `${method} ${path} states its security`).toBeDefined();
      if (operation.security?.length === 0) open.push(`${method} ${path}`);
      for (const requirement of operation.security ?? []) {
        for (const roles of Object.values(requirement)) {
          expect(roles.length).toBeGreaterThan(0);
          for (const role of roles) expect(['admin', 'app', 'runtime']).toContain(role);
        }
      }
    }
    // The console's sign-in takes the key in its body, the session's other routes the cookie.
    expect(open.sort()).toEqual(['DELETE /v1/console/session', 'GET /api/health', 'GET /v1/console/session', 'POST /v1/console/session']);
    expect(document.paths['/v1/ops/etl/backfill']?.post?.security).toEqual([{ bearer: ['admin'] }]);
    // The admin reads (and follows) a chat naming its app: read-only, audited.
    expect(document.paths['/v1/chats/{chat_id}/events']?.get?.security).toEqual([{ bearer: ['app', 'runtime', 'admin'] }, { access_token: ['app', 'runtime', 'admin'] }]);
    expect(document.paths['/v1/chats/{chat_id}/ws']?.get).toBeDefined();
  });

  it('authenticates before it looks at the body or query, on every route', async () => {
    const document = await openApiDocument();
    const walked: string[] = [];
    for (const { method, path, operation } of operations(document)) {
      if (operation.security?.length === 0) continue;
      const label = `${method} ${path}`;
      for (const authorization of [undefined, 'Bearer not-a-credential', 'Basic dXNlcjpwYXNz', `Bearer tsk_${'x'.repeat(40)}`]) {
        const answer = await drive(method, path, authorization);
        expect({ route: label, authorization, status: answer.status, code: answer.code }).toEqual({ route: label, authorization, status: 401, code: 'unauthorized' });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
      walked.push(label);
    }
    expect(walked).toEqual(expect.arrayContaining(['POST /v1/ops/etl/backfill', 'POST /v1/ops/reprice', 'POST /v1/apps', 'PUT /v1/apps/{app_id}/webhook']));
  });

  it('refuses a credential of the wrong kind with 403 before validating anything', async () => {
    const document = await openApiDocument();
    for (const { method, path, operation } of operations(document)) {
      const roles = new Set(Object.values(operation.security?.[0] ?? {}).flat());
      if (roles.size === 0) continue;
      for (const kind of ['admin', 'app', 'runtime'] as const) {
        if (roles.has(kind)) continue;
        const answer = await drive(method, path, `Bearer ${credentials[kind]}`);
        expect({ route: `${method} ${path}`, kind, status: answer.status, code: answer.code }).toEqual({ route: `${method} ${path}`, kind, status: 403, code: 'forbidden' });
      }
    }
  });

  it('answers only statuses the document lists for the route', async () => {
    const document = await openApiDocument();
    const undocumented: string[] = [];
    for (const { method, path, operation } of operations(document)) {
      const documented = new Set(Object.keys(operation.responses));
      const roles = new Set(Object.values(operation.security?.[0] ?? {}).flat());
      const attempts: (string | undefined)[] = [undefined, 'Bearer nope', ...(['admin', 'app', 'runtime'] as const).map((kind) => `Bearer ${credentials[kind]}`)];
      if (roles.size === 0) attempts.splice(0, attempts.length, undefined);
      for (const authorization of attempts) {
        const response = await fetch(`${stack.url}${concrete(path)}`, {
          method,
          headers: { ...(authorization ? { authorization } : {}), ...(BODY_METHODS.has(method) ? { 'content-type': 'application/json' } : {}) },
          ...(BODY_METHODS.has(method) ? { body: JSON.stringify(BAD_BODY) } : {}),
        });
        await response.body?.cancel();
        if (!documented.has(String(response.status))) undocumented.push(`${method} ${path} (${authorization?.slice(0, 12) ?? 'no credential'}): ${response.status}`);
      }
      // A body of the wrong type, an oversized one, and an over-long URL.
      if (BODY_METHODS.has(method) && roles.size > 0) {
        const kind = [...roles][0] as keyof typeof credentials;
        for (const init of [
          { headers: { authorization: `Bearer ${credentials[kind]}`, 'content-type': 'text/plain' }, body: 'hello' },
          { headers: { authorization: `Bearer ${credentials[kind]}`, 'content-type': 'application/json' }, body: `"${'x'.repeat(300 * 1024)}"` },
          { headers: { authorization: `Bearer ${credentials[kind]}`, 'content-type': 'application/json' }, body: '{"unterminated' },
        ]) {
          const response = await fetch(`${stack.url}${concrete(path)}`, { method, ...init });
          await response.body?.cancel();
          if (!documented.has(String(response.status))) undocumented.push(`${method} ${path} (${init.headers['content-type']}): ${response.status}`);
        }
      }
      const long = await fetch(`${stack.url}${concrete(path)}&pad=${'p'.repeat(9000)}`, { method, headers: BODY_METHODS.has(method) ? { 'content-type': 'application/json' } : {}, ...(BODY_METHODS.has(method) ? { body: '{}' } : {}) });
      await long.body?.cancel();
      expect(long.status).toBe(414);
      if (!documented.has('414')) undocumented.push(`${method} ${path}: 414`);
    }
    expect(undocumented).toEqual([]);
  });

  it('answers other methods on a known path with 405 and Allow', async () => {
    const document = await openApiDocument();
    for (const [path, methods] of Object.entries(document.paths)) {
      const listed = Object.keys(methods).map((method) => method.toUpperCase());
      const expected = new Set(listed);
      if (expected.has('GET')) expected.add('HEAD');
      // Every known path answers OPTIONS: a CORS preflight on the browser routes, a plain one (204
      // with Allow) elsewhere (src/api/cors.ts).
      expected.add('OPTIONS');
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        if (expected.has(method)) continue;
        const response = await fetch(`${stack.url}${concrete(path)}`, { method, headers: { authorization: `Bearer ${stack.adminKey}` } });
        const { body } = await readErrorBody(response);
        expect({ path, method, status: response.status, code: body.error.code }).toEqual({ path, method, status: 405, code: 'method_not_allowed' });
        expect(new Set(response.headers.get('allow')?.split(', '))).toEqual(expected);
      }
    }
    const unknown = await fetch(`${stack.url}/v1/no-such-route`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect((await readErrorBody(unknown)).body.error.code).toBe('not_found');
  });

  it('describes cross-field rules where the fields are', async () => {
    const document = await openApiDocument();
    const to = document.paths['/v1/analytics/cost']?.get?.parameters?.find((parameter) => parameter.name === 'to');
    expect(to?.description).toMatch(/after `from`/);
    const backfill = document.paths['/v1/ops/etl/backfill']?.post?.requestBody?.content['application/json']?.schema as { properties: Record<string, { description?: string }> };
    expect(backfill.properties.to?.description).toMatch(/after `from`/);
  });
});
