/**
 * The API's error shape, `{"error": {"code", "message", "details"?}}`, and the Fastify error
 * handler that maps validation failures, known HTTP errors and everything else onto it.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { storableIssueCode } from '../domain/text/storable';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Installs the error shape; returns the table of registered paths (what a plain OPTIONS answers in `Allow`). */
export function installErrorHandler(app: FastifyInstance): RouteTable {
  // A reply a plugin ends with a bare status (the WebSocket route answering a request that is not an
  // Upgrade with an empty 404) still carries the error shape.
  app.addHook('onSend', async (request, reply, payload) => {
    const empty = payload === undefined || payload === null || payload === '';
    if (reply.statusCode < 400 || !empty || request.method === 'HEAD') return payload;
    const label = STATUS_CODES[reply.statusCode] ?? 'Error';
    void reply.type('application/json; charset=utf-8');
    return JSON.stringify(errorBody(label.toLowerCase().replace(/[^a-z]+/g, '_'), `${request.method} ${request.url.split('?')[0]}: ${label}`));
  });
  // Another method on a known path is 405 with `Allow`, not 404: the routes' paths are collected as
  // they register, and the not-found handler looks the request's path up among them.
  const routes = new RouteTable();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));
  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.methodsFor(request.url.split('?')[0] ?? '');
    if (allowed.length > 0) {
      void reply
        .header('allow', allowed.join(', '))
        .status(405)
        .send(errorBody('method_not_allowed', `${request.method} is not allowed on ${request.url.split('?')[0]}; allowed: ${allowed.join(', ')}`, { allow: allowed }));
      return;
    }
    void reply.status(404).send(errorBody('not_found', `no route ${request.method} ${request.url}`));
  });
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof HttpError) {
      void reply.headers(error.headers).status(error.statusCode).send(errorBody(error.code, error.message, error.details));
      return;
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'request';
      const details = error.validation.map((issue) => ({
        in: where,
        path: issue.instancePath,
        message: issue.message,
      }));
      // Text a store cannot hold (DESIGN §4 "Text") has its own codes, naming the field.
      const textIssue = error.validation.find((issue) => storableIssueCode(issue) !== undefined);
      if (textIssue !== undefined) {
        const field = textIssue.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(root)';
        const code = storableIssueCode(textIssue) ?? 'invalid_text';
        const reason = code === 'invalid_key' ? 'has a key that must not start with $ or contain .' : 'must not contain NUL (U+0000)';
        void reply.status(400).send(errorBody(code, `invalid ${where}: ${field} ${reason}`, details));
        return;
      }
      void reply.status(400).send(errorBody('invalid_request', `invalid ${where}: ${details[0]?.path || '(root)'} ${details[0]?.message ?? ''}`.trim(), details));
      return;
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
      void reply.status(500).send(errorBody('internal', 'internal error'));
      return;
    }
    if (error instanceof ZodError) {
      const textCode = error.issues.map((issue) => storableIssueCode(issue)).find((code) => code !== undefined);
      if (textCode !== undefined) {
        void reply.status(400).send(errorBody(textCode, 'request validation failed: text a store cannot hold', error.issues));
        return;
      }
      void reply.status(400).send(errorBody('invalid_request', 'request validation failed', error.issues));
      return;
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
      void reply.status(status).send(errorBody(code, error.message));
      return;
    }
    request.log.error({ err: error }, 'unhandled error');
    void reply.status(500).send(errorBody('internal', 'internal error'));
  });
  return routes;
}

/** The registered paths (`/v1/chats/:chat_id`, `/docs/*`) and the methods each answers. */
export class RouteTable {
  private readonly paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(method: string | string[], url: string): void {
    let entry = this.paths.get(url);
    if (!entry) {
      entry = { pattern: pathPattern(url), methods: new Set() };
      this.paths.set(url, entry);
    }
    for (const one of [method].flat()) entry.methods.add(one.toUpperCase());
  }

  /** The methods some route answers on this concrete path, sorted; none for an unknown path. A
   * catch-all route (`*`, such as a CORS preflight's `OPTIONS *`) adds its methods to a known path
   * but makes no path known. */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    const everywhere = new Set<string>();
    for (const [url, { pattern, methods: answered }] of this.paths) {
      if (!pattern.test(path)) continue;
      for (const method of answered) (url === '*' || url === '/*' ? everywhere : methods).add(method);
    }
    if (methods.size === 0) return [];
    for (const method of everywhere) methods.add(method);
    return [...methods].sort();
  }
}

/** A route path as a pattern: `:name` is one non-empty segment, a trailing `*` is anything. */
function pathPattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** What Fastify answers before any route or hook runs (`frameworkErrors`): a URL that does not
 * decode, a path parameter over the router's maximum length. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const code = error.code === 'FST_ERR_BAD_URL' ? 'bad_url' : status === 414 ? 'uri_too_long' : 'bad_request';
  // An Upgrade request's socket left Node's HTTP server when the upgrade began, and this path runs
  // none of the hooks that would end it (the WebSocket plugin's): end it here, or it stays open.
  if (request.headers.upgrade !== undefined) reply.raw.once('finish', () => request.raw.socket.destroy());
  void reply.status(status).send(errorBody(code, error.message));
}

/** What Node's HTTP parser refuses (`clientErrorHandler`): not HTTP, an unknown method, headers
 * over the size limit. Written on the socket, as Fastify's default does, but in the API's shape. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request line and headers exceed the size limit']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request did not arrive in time']
        : [400, 'bad_request', 'the request is not valid HTTP'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
