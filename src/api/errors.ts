/**
 * The API's error shape, `{"error": {"code", "message", "details"?}}`, and the Fastify error
 * handler that maps validation failures, known HTTP errors and everything else onto it.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';

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

export function installErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
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
      void reply.status(400).send(errorBody('invalid_request', `invalid ${where}: ${details[0]?.path || '(root)'} ${details[0]?.message ?? ''}`.trim(), details));
      return;
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
      void reply.status(500).send(errorBody('internal', 'internal error'));
      return;
    }
    if (error instanceof ZodError) {
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
}
