/** The OpenAPI 3.1 document is generated from the same zod schemas that validate requests. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
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

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> }; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
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
