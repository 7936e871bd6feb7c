/**
 * The console (issue 19), served by the API at `/console`: the files Vite built from console/ into
 * dist/console/ (`npm run console:build`, run by setup when console/ changed). A small static
 * handler, not a plugin: the built tree is a handful of files with hashed names, its text files
 * served brotli- or gzip-compressed as the request accepts (compressed once, console-assets.ts). The routes are
 * open (the page itself holds nothing; every data call it makes is authenticated) and hidden from
 * the API document. When the assets are not built the console answers a page saying how to build
 * them, not a bare 404.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses } from '../domain/api/errors';
import { projectRoot } from '../project-root';
import { ConsoleFiles } from './console-assets';
import { HttpError } from './errors';
import { consoleSessionRoutes } from './routes/console-session';
import type { ApiRuntime } from './runtime';

export const CONSOLE_PREFIX = '/console';
export const DEFAULT_CONSOLE_DIR = path.join(projectRoot(__dirname), 'dist', 'console');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Same-origin scripts and styles only; no framing; nothing the page loads may leak the URL. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tessera console: not built</title></head>
<body><main><h1>The console is not built</h1>
<p>This API serves the console from <code>dist/console/</code>, which is empty. Build it with
<code>npm run console:build</code> (<code>npm run setup</code>, <code>npm start</code> and
<code>npm test</code> build it whenever <code>console/</code> changed), then reload.</p></main></body></html>
`;

export interface ConsoleOptions {
  /** The built assets (default: dist/console/ of this checkout). */
  dir?: string;
}

export function consoleRoutes(app: FastifyInstance, options: ConsoleOptions = {}, runtime?: ApiRuntime): void {
  const dir = path.resolve(options.dir ?? DEFAULT_CONSOLE_DIR);
  // The session routes (`/v1/console/session`) are the API's own, documented: src/api/routes/console-session.ts.
  if (runtime) consoleSessionRoutes(app, runtime);
  const statuses = { ...errorResponses(404) };
  const files = new ConsoleFiles();

  app.get(CONSOLE_PREFIX, { config: { open: true }, schema: { hide: true, response: statuses } }, async (_request, reply) =>
    reply.redirect(`${CONSOLE_PREFIX}/`, 302),
  );
  app.get(`${CONSOLE_PREFIX}/`, { config: { open: true }, schema: { hide: true, response: statuses } }, async (_request, reply) =>
    sendIndex(dir, files, reply),
  );
  app.get(`${CONSOLE_PREFIX}/*`, { config: { open: true }, schema: { hide: true, response: statuses } }, async (request, reply) => {
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    // Files Vite emitted (hashed names under assets/, or public files at the top): served as they are.
    if (rest.includes('.')) return sendFile(dir, files, rest, reply);
    // Anything else is a page of the single-page app (a client-side route): the index.
    return sendIndex(dir, files, reply);
  });
}

async function sendIndex(dir: string, files: ConsoleFiles, reply: FastifyReply): Promise<FastifyReply> {
  const html = await files.read(path.join(dir, 'index.html'));
  if (!html) {
    return reply.code(503).headers({ ...PAGE_HEADERS, 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' }).send(NOT_BUILT);
  }
  return files.send(reply, html, { ...PAGE_HEADERS, 'cache-control': 'no-cache', 'content-type': 'text/html; charset=utf-8' });
}

async function sendFile(dir: string, files: ConsoleFiles, rest: string, reply: FastifyReply): Promise<FastifyReply> {
  const file = path.resolve(dir, rest);
  const type = TYPES[path.extname(file).toLowerCase()];
  if (!file.startsWith(`${dir}${path.sep}`) || path.basename(file).startsWith('.') || !type) throw notFound(rest);
  // Read and compressed once (br, gzip) per version of the file: src/api/console-assets.ts.
  const body = await files.read(file);
  if (!body) throw notFound(rest);
  // Vite names what it emits under assets/ by content: those never change.
  const cache = rest.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  return files.send(reply, body, { ...PAGE_HEADERS, 'cache-control': cache, 'content-type': type });
}

const notFound = (rest: string) => new HttpError(404, 'not_found', `no console file '${rest}'`);
