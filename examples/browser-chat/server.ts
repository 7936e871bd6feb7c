/**
 * The browser chat example's app backend: `npm run example:browser-chat` (with `npm start` running).
 *
 * This is the part of a web app that embeds a Tessera chat and runs on the app's own server. It
 * holds the app key — which never reaches the browser — and gives each visitor of its page a session
 * of their own: `POST /api/session` calls Tessera's `POST /v1/sessions` for the visitor (a random id
 * in an HttpOnly cookie) and hands the page only `chat_id`, `sse_url`, `ws_url`, `runtime_token`
 * (one user, one chat, 15 minutes) and `expires_at`. The page (public/) then talks to Tessera
 * directly with the SDK's browser client, from this server's origin, which is another origin than
 * the API's: the app lists it in its `allowed_origins`.
 *
 * On start, with the admin key (`TESSERA_ADMIN_KEY`, or the one `npm start` generated in
 * `.data/secrets/admin-key`), it creates the app `browser-chat` with this page's origins (its key kept
 * in `.data/secrets/example-apps/browser-chat`), or adds them to the app's `allowed_origins` when
 * they are missing. Without the admin key it needs `TESSERA_APP_KEY` of an app that allows them.
 *
 * The page loads the SDK as ES modules, no bundler: each `sdk/src/*.ts` transpiled as it is at
 * start, and openapi-fetch's own ES module through the page's import map.
 *
 * Settings (environment): TESSERA_API_URL (default TESSERA_PUBLIC_URL, else http://127.0.0.1:8080),
 * TESSERA_ADMIN_KEY, TESSERA_APP_KEY, TESSERA_DATA_DIR (.data), BROWSER_CHAT_APP (browser-chat),
 * BROWSER_CHAT_TEMPLATE (researcher), BROWSER_CHAT_HOST (127.0.0.1), BROWSER_CHAT_PORT (3000; 0 for
 * any free port). `--port <n>` overrides the port.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import ts from 'typescript';
import { createApiClient, createServerClient, TesseraError, type ServerClient, type Session } from '../../sdk/src/index.js';

const REPO = path.resolve(__dirname, '../..');
const PUBLIC_DIR = path.join(__dirname, 'public');
const SDK_SRC = path.join(REPO, 'sdk/src');

export interface BrowserChatOptions {
  /** Tessera's API (where the backend calls `POST /v1/sessions`). */
  apiUrl: string;
  /** The app the page chats in (default `browser-chat`). */
  appId?: string;
  /** The app's key, when the app exists already. */
  appKey?: string;
  /** Creates the app, or adds this page's origins to its `allowed_origins`. */
  adminKey?: string;
  /** Where the key of an app this backend created is kept (read again on the next start). */
  keyFile?: string;
  /** Template of the visitors' chats (default `researcher`: it calls tools). */
  template?: string;
  host?: string;
  /** Default 3000; 0 takes any free port. */
  port?: number;
  log?: (line: string) => void;
}

export interface RunningBrowserChat {
  /** The page: open it in a browser. */
  url: string;
  appId: string;
  /** The page's origins, as the app allows them. */
  origins: string[];
  close(): Promise<void>;
}

/** What the page gets of a session: never the app key. */
type PageSession = Pick<Session, 'chat_id' | 'sse_url' | 'ws_url' | 'runtime_token' | 'expires_at' | 'status'>;

/** The page's static files and the SDK's modules, by path. */
function assets(): Map<string, { type: string; body: string }> {
  const files = new Map<string, { type: string; body: string }>();
  files.set('/', { type: 'text/html; charset=utf-8', body: fs.readFileSync(path.join(PUBLIC_DIR, 'index.html'), 'utf8') });
  files.set('/chat.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(path.join(PUBLIC_DIR, 'chat.js'), 'utf8') });
  // The SDK as ES modules, unbundled: its imports name `./x.js`, which is where each one is served.
  for (const name of fs.readdirSync(SDK_SRC).filter((file) => file.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(SDK_SRC, name), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: name,
    });
    files.set(`/sdk/${name.replace(/\.ts$/, '.js')}`, { type: 'text/javascript; charset=utf-8', body: outputText });
  }
  // The SDK's one dependency, its own ES module; the page's import map points `openapi-fetch` here.
  const openapiFetch = require.resolve('openapi-fetch').replace(/index\.cjs$/, 'index.mjs');
  files.set('/vendor/openapi-fetch.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(openapiFetch, 'utf8') });
  return files;
}

const VISITOR_COOKIE = 'visitor';
const VISITOR_ID = /^[A-Za-z0-9_-]{22}$/;

/** The visitor's id from their cookie, or a new one (and the cookie that keeps it). */
function visitorOf(request: FastifyRequest, reply: FastifyReply): string {
  const cookies = new Map((request.headers.cookie ?? '').split(';').map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] as const;
  }));
  const known = cookies.get(VISITOR_COOKIE);
  if (known && VISITOR_ID.test(known)) return known;
  const id = randomBytes(16).toString('base64url');
  reply.header('set-cookie', `${VISITOR_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${30 * 24 * 3600}`);
  return id;
}

/** The origins a browser sends for a page served at host:port (both loopback names for a loopback host). */
function pageOrigins(host: string, port: number): string[] {
  const loopback = ['127.0.0.1', 'localhost', '0.0.0.0', '::', '::1'].includes(host);
  if (loopback) return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  return [`http://${host.includes(':') ? `[${host}]` : host}:${port}`];
}

/** Whether an `allowed_origins` entry lets this origin in (the `http://localhost:*` form included). */
function allows(entry: string, origin: string): boolean {
  if (entry === origin) return true;
  return entry.endsWith(':*') && origin.startsWith(entry.slice(0, -1)) && /^\d+$/.test(origin.slice(entry.length - 1));
}

function readKept(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A path relative to the working directory when it is inside it. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function apiError(what: string, response: Response, error: unknown): Error {
  const body = error as { error?: { code?: string; message?: string } } | undefined;
  return new Error(`${what}: ${response.status} ${body?.error?.code ?? ''} ${body?.error?.message ?? ''}`.trim());
}

/**
 * Makes sure the app exists and allows the page's origins; returns its key. With the admin key it
 * creates the app (keeping the key) or adds the missing origins; without it, the app key must be given.
 */
async function ensureApp(options: BrowserChatOptions & { appId: string }, origins: string[], log: (line: string) => void): Promise<string> {
  const given = options.appKey;
  if (!options.adminKey) {
    if (!given) throw new Error('no app key and no admin key: set TESSERA_APP_KEY (an app that allows this page), or run `npm start` first (its admin key is read from .data/secrets/admin-key) or set TESSERA_ADMIN_KEY');
    log(`using the app key from TESSERA_APP_KEY; the app must list ${origins.join(' and ')} in allowed_origins (no admin key to check)`);
    return given;
  }
  const admin = createApiClient({ baseUrl: options.apiUrl, key: options.adminKey });
  const params = { path: { app_id: options.appId } };
  const existing = await admin.GET('/v1/apps/{app_id}', { params });
  if (existing.response.status === 404) {
    const created = await admin.POST('/v1/apps', { body: { app_id: options.appId, name: 'Browser chat example', allowed_origins: origins } });
    if (!created.data) throw apiError(`creating app '${options.appId}'`, created.response, created.error);
    if (options.keyFile) {
      fs.mkdirSync(path.dirname(options.keyFile), { recursive: true, mode: 0o700 });
      fs.writeFileSync(options.keyFile, `${created.data.api_key}\n`, { mode: 0o600 });
    }
    log(`created app '${options.appId}' with allowed_origins ${JSON.stringify(origins)}${options.keyFile ? `; its key is kept in ${shortPath(options.keyFile)}` : ''}`);
    return created.data.api_key;
  }
  if (!existing.data) throw apiError(`reading app '${options.appId}'`, existing.response, existing.error);
  const allowed = existing.data.allowed_origins;
  const missing = origins.filter((origin) => !allowed.some((entry) => allows(entry, origin)));
  if (missing.length > 0) {
    const patched = await admin.PATCH('/v1/apps/{app_id}', { params, body: { allowed_origins: [...allowed, ...missing] } });
    if (!patched.data) throw apiError(`adding ${missing.join(', ')} to the allowed_origins of '${options.appId}'`, patched.response, patched.error);
    log(`added ${missing.join(' and ')} to the allowed_origins of app '${options.appId}'`);
  }
  const key = given ?? readKept(options.keyFile);
  if (!key) {
    throw new Error(`app '${options.appId}' exists but this example kept no key for it: set TESSERA_APP_KEY, or BROWSER_CHAT_APP to another app id`);
  }
  return key;
}

export async function startBrowserChat(options: BrowserChatOptions): Promise<RunningBrowserChat> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const appId = options.appId ?? 'browser-chat';
  const template = options.template ?? 'researcher';
  const host = options.host ?? '127.0.0.1';
  const files = assets();
  let tessera: ServerClient | undefined;
  let origins: string[] = [];

  const server = Fastify({ logger: false });
  server.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
  });
  server.get('/*', async (request, reply) => {
    const file = files.get(new URL(request.url, 'http://page').pathname);
    if (!file) return reply.code(404).type('text/plain').send('not found');
    return reply.type(file.type).send(file.body);
  });

  // A session for this visitor: a new chat, or the one the page had (Tessera refuses another
  // user's chat). Only the page's own origin may ask (the browser sends `Origin` with a POST).
  server.post<{ Body: { chat_id?: unknown } | undefined }>('/api/session', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.includes(origin)) return reply.code(403).send({ error: { code: 'forbidden', message: 'not this page' } });
    if (!tessera) return reply.code(503).send({ error: { code: 'starting', message: 'the backend is starting' } });
    const userId = `visitor-${visitorOf(request, reply)}`;
    const asked = request.body?.chat_id;
    const chatId = typeof asked === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(asked) ? asked : undefined;
    let session: Session;
    try {
      try {
        session = await tessera.sessions.create({ template, user_id: userId, ...(chatId ? { chat_id: chatId } : {}) });
      } catch (error) {
        // That chat is gone or not this visitor's (a new cookie): start a new one.
        if (!(chatId && error instanceof TesseraError && [403, 404, 409].includes(error.status))) throw error;
        session = await tessera.sessions.create({ template, user_id: userId });
      }
      if (session.status === 'closed') session = await tessera.sessions.create({ template, user_id: userId });
    } catch (error) {
      const failure = error instanceof TesseraError ? error : new TesseraError({ status: 0, code: 'internal', message: String(error) });
      log(`POST /v1/sessions failed: ${failure.status} ${failure.code}: ${failure.message}`);
      if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
      return reply.code(failure.status === 429 || failure.status === 503 ? failure.status : 502).send({ error: { code: failure.code, message: failure.message } });
    }
    const { chat_id, sse_url, ws_url, runtime_token, expires_at, status } = session;
    return { chat_id, sse_url, ws_url, runtime_token, expires_at, status } satisfies PageSession;
  });

  await server.listen({ host, port: options.port ?? 3000 });
  try {
    const { port } = server.server.address() as AddressInfo;
    origins = pageOrigins(host, port);
    const appKey = await ensureApp({ ...options, appId }, origins, log);
    const client = createServerClient({ baseUrl: options.apiUrl, appKey });
    // The key works (a refused one would otherwise show only when the first visitor comes).
    await client.raw.GET('/v1/chats', { params: { query: { user_id: 'visitor-check', limit: 1 } } }).then(({ response, error }) => {
      if (response.status === 401 || response.status === 403) throw apiError(`the key of app '${appId}' was refused (was the data directory reset? delete ${options.keyFile ?? 'the kept key'})`, response, error);
    });
    tessera = client;
    return {
      url: `${origins[0]}/`,
      appId,
      origins,
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** The admin key: the setting, or the one `npm start` generated under the data directory. */
function adminKeyFrom(dataDir: string): string | undefined {
  return process.env.TESSERA_ADMIN_KEY || readKept(path.join(dataDir, 'secrets', 'admin-key'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  const env = process.env;
  const apiUrl = (env.TESSERA_API_URL || env.TESSERA_PUBLIC_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const dataDir = path.resolve(REPO, env.TESSERA_DATA_DIR || '.data');
  const appId = env.BROWSER_CHAT_APP || 'browser-chat';
  const port = Number(values.port ?? env.BROWSER_CHAT_PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${values.port ?? env.BROWSER_CHAT_PORT}`);

  const health = await fetch(`${apiUrl}/api/health`).catch(() => undefined);
  if (!health) throw new Error(`cannot reach Tessera at ${apiUrl}: run \`npm start\` in another terminal first (or set TESSERA_API_URL)`);

  const running = await startBrowserChat({
    apiUrl,
    appId,
    ...(env.TESSERA_APP_KEY ? { appKey: env.TESSERA_APP_KEY } : {}),
    ...(adminKeyFrom(dataDir) ? { adminKey: adminKeyFrom(dataDir) } : {}),
    keyFile: path.join(dataDir, 'secrets', 'example-apps', appId),
    template: env.BROWSER_CHAT_TEMPLATE || 'researcher',
    host: env.BROWSER_CHAT_HOST || '127.0.0.1',
    port,
  });
  process.stdout.write(
    `\nBrowser chat example is up (app '${running.appId}', Tessera at ${apiUrl}).\n` +
      `  Open:  ${running.url}\n` +
      `  The page streams from Tessera directly with a runtime token; the app key stays in this process.\n` +
      `  Ctrl-C stops it.\n`,
  );
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    process.stderr.write(`browser-chat: ${inUse ? `${message} (another port: BROWSER_CHAT_PORT=3001 or -- --port 3001)` : message}\n`);
    process.exit(1);
  });
}
