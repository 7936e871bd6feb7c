/**
 * The console's static files (src/api/console.ts): the index and hashed assets from the built
 * directory, a page that says how to build when nothing is built, no path outside the directory,
 * no console route in the API document, and text files brotli- or gzip-compressed as the request
 * accepts (with `Vary`), a rebuilt file served anew.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preferredEncoding } from '../../src/api/console-assets';
import { buildApi } from '../../src/api/server';

let built: FastifyInstance;
let empty: FastifyInstance;
let dir: string;
const APP_JS = Array.from({ length: 400 }, (_, i) => `export const value${i} = () => document.querySelector('#row-${i}');`).join('\n');
const APP_CSS = Array.from({ length: 200 }, (_, i) => `.row-${i} { padding: ${i % 7}px; color: #1f5fbf; }`).join('\n');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-static-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title><script type="module" src="/console/assets/index-abc.js"></script>');
  fs.writeFileSync(path.join(dir, 'assets/index-abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'assets/app-def.js'), APP_JS);
  fs.writeFileSync(path.join(dir, 'assets/app-def.css'), APP_CSS);
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

  it('serves text files brotli- or gzip-compressed as the request accepts, with Vary', async () => {
    const cases: [string | undefined, string | undefined][] = [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
      ['identity', undefined],
      [undefined, undefined],
    ];
    for (const [accept, encoding] of cases) {
      const response = await built.inject({ method: 'GET', url: '/console/assets/app-def.js', headers: accept === undefined ? {} : { 'accept-encoding': accept } });
      expect(response.statusCode, accept).toBe(200);
      expect(response.headers['content-encoding'], accept).toBe(encoding);
      expect(response.headers.vary, accept).toBe('accept-encoding');
      expect(response.headers['content-type']).toMatch(/^text\/javascript/);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const raw = response.rawPayload;
      const text = encoding === 'br' ? brotliDecompressSync(raw).toString() : encoding === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      expect(text).toBe(APP_JS);
      if (encoding) expect(raw.length).toBeLessThan(Buffer.byteLength(APP_JS) / 3);
      expect(Number(response.headers['content-length'])).toBe(raw.length);
    }
    const css = await built.inject({ method: 'GET', url: '/console/assets/app-def.css', headers: { 'accept-encoding': 'br' } });
    expect(css.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(css.rawPayload).toString()).toBe(APP_CSS);
  });

  it('compresses the index too, kept no-cache, and serves a rebuilt index anew', async () => {
    const first = await built.inject({ method: 'GET', url: '/console/', headers: { 'accept-encoding': 'gzip' } });
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers.vary).toBe('accept-encoding');
    const body = first.headers['content-encoding'] === 'gzip' ? gunzipSync(first.rawPayload).toString() : first.body;
    expect(body).toContain('/console/assets/index-abc.js');
    // A rebuild writes a new index (new asset names): the next request has it.
    const index = path.join(dir, 'index.html');
    const before = fs.readFileSync(index, 'utf8');
    fs.writeFileSync(index, `${'<!-- rebuilt -->'.repeat(20)}<!doctype html><title>t</title><script type="module" src="/console/assets/app-def.js"></script>`);
    try {
      const again = await built.inject({ method: 'GET', url: '/console/audit', headers: { 'accept-encoding': 'br' } });
      expect(again.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(again.rawPayload).toString()).toContain('/console/assets/app-def.js');
    } finally {
      fs.writeFileSync(index, before);
    }
  });

  it('reads Accept-Encoding as HTTP says: q-values, *, and nothing accepted', () => {
    expect(preferredEncoding('br')).toBe('br');
    expect(preferredEncoding('gzip;q=1, br;q=0.5')).toBe('gzip');
    expect(preferredEncoding('*')).toBe('br');
    expect(preferredEncoding('*;q=0, gzip')).toBe('gzip');
    expect(preferredEncoding('br;q=0, gzip;q=0')).toBe('identity');
    expect(preferredEncoding('deflate')).toBe('identity');
    expect(preferredEncoding('')).toBe('identity');
  });
});
