/**
 * The console's static files (src/api/console.ts): the index and hashed assets from the built
 * directory, a page that says how to build when nothing is built, no path outside the directory,
 * and no console route in the API document.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server';

let built: FastifyInstance;
let empty: FastifyInstance;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-static-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title><script type="module" src="/console/assets/index-abc.js"></script>');
  fs.writeFileSync(path.join(dir, 'assets/index-abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, '.build-stamp'), 'x');
  fs.writeFileSync(path.join(path.dirname(dir), 'outside.js'), 'secret');
  built = await buildApi({ logLevel: 'silent', probes: [], consoleDir: dir });
  empty = await buildApi({ logLevel: 'silent', probes: [], consoleDir: path.join(dir, 'missing') });
});

afterAll(async () => {
  await built?.close();
  await empty?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the console', () => {
  it('redirects /console to /console/ and serves the index there and at client-side routes', async () => {
    const bare = await built.inject({ method: 'GET', url: '/console' });
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/console/');
    for (const url of ['/console/', '/console/audit', '/console/analytics']) {
      const page = await built.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.body).toContain('/console/assets/index-abc.js');
    }
  });

  it('serves hashed assets as immutable with their type', async () => {
    const js = await built.inject({ method: 'GET', url: '/console/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect(js.body).toBe('console.log(1)');
  });

  it('serves nothing outside the built directory, no dot-file, no unknown file', async () => {
    for (const url of ['/console/../outside.js', '/console/%2e%2e/outside.js', '/console/assets/%2e%2e/%2e%2e/outside.js', '/console/.build-stamp', '/console/assets/none.js']) {
      const response = await built.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('secret');
    }
  });

  it('answers a page saying how to build it when the assets are not built', async () => {
    const page = await empty.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(503);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('npm run console:build');
  });

  it('is absent from the API document', async () => {
    const document = (await built.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((p) => p.startsWith('/console'))).toEqual([]);
  });
});
