/**
 * The HTTP API (Fastify). Every route declares zod schemas for what it accepts and returns; the
 * same schemas validate requests and generate the OpenAPI 3.1 document (`/v1/openapi.json`, read
 * at `/docs`). Every response carries the request id, and every log line of a request names it.
 */
import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { OriginDirectory } from '../stores/app-origins';
import { traceRequests } from '../telemetry/http-tracing';
import { logRequestOutcomes } from '../telemetry/request-log';
import { consoleRoutes } from './console';
import { consoleLiveRoutes } from './console-live';
import { browserAccess } from './cors';
import { describeEventStreamResponses } from './openapi-document';
import { answerClientError, answerFrameworkError, HttpError, installErrorHandler } from './errors';
import type { DependencyProbe } from './health';
import { DEFAULT_API_LIMITS, type ApiLimits } from './limits';
import { installRouteContract, SECURITY_SCHEMES } from './route-contract';
import { analyticsRoutes } from './routes/analytics';
import { appRoutes } from './routes/apps';
import { auditRoutes } from './routes/audit';
import { chatRoutes } from './routes/chats';
import { consoleConfigRoutes } from './routes/console-config';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { notifyRoutes } from './routes/notify';
import { opsRoutes } from './routes/ops';
import { packRoutes } from './routes/packs';
import { chatListRoutes, sessionRoutes } from './routes/sessions';
import { streamRoutes } from './routes/streams';
import type { ApiRuntime } from './runtime';
import type { StreamSettings } from './streams/settings';

export interface ApiDeps {
  probes: DependencyProbe[];
  logLevel: string;
  /** Log through this logger instead of a new one (the launcher shares its own). */
  logger?: Logger;
  /** The services behind the v1 routes; without them only health and the API document are served. */
  runtime?: ApiRuntime;
  /** The Temporal worker runtime's Prometheus exporter, appended to `/metrics`. */
  workerMetricsUrl?: string;
  /** Largest accepted request body, in bytes (the same as `limits.bodyLimitBytes`, which wins). */
  bodyLimit?: number;
  /** Size, time and stream limits (README "Limits"); each defaults to the configuration's default. */
  limits?: Partial<ApiLimits>;
  /** A span per request (tracing is on: `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  traceRequests?: boolean;
  /** Tests shorten the live streams' intervals (and the stream slots' TTL). */
  streamSettings?: Partial<StreamSettings>;
  /** How often the in-process copy of the apps' allowed origins is re-read at worst (default 5 s). */
  originsRefreshMs?: number;
  /** The console's built assets (default: dist/console/ of this checkout; src/api/console.ts). */
  consoleDir?: string;
}

export const DEFAULT_BODY_LIMIT = DEFAULT_API_LIMITS.bodyLimitBytes;
const DOCS_PREFIX = '/docs';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...(deps.bodyLimit !== undefined ? { bodyLimitBytes: deps.bodyLimit } : {}), ...deps.limits };
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: { level: deps.logLevel } }),
    bodyLimit: limits.bodyLimitBytes,
    // Slow clients: the headers, then the whole request, must arrive in time (408); an idle
    // connection is closed. Node checks the two request timeouts every `connectionsCheckingInterval`.
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(headersTimeout / 4))),
    },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      disableRequestLogging: deps.logLevel !== 'debug' && deps.logLevel !== 'trace',
    }),
    // A caller's own request id is kept when it is sane, so its logs and ours line up.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
    // Refusals made before any route runs (a URL that does not decode, an over-long id, headers
    // over Node's limit, an unknown method) answer in the API's error shape too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = installErrorHandler(app);
  installRouteContract(app, { openPrefixes: [DOCS_PREFIX] });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // Before any route's own hooks (authentication included): a request target over the limit.
    if (Buffer.byteLength(request.raw.url ?? '') > limits.maxUrlBytes) {
      throw new HttpError(414, 'uri_too_long', `the request target is over ${limits.maxUrlBytes} bytes`);
    }
  });
  if (deps.traceRequests) traceRequests(app);
  logRequestOutcomes(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera API',
        version: '1',
        description: 'Durable multi-tenant AI chat on Temporal. Errors are `{"error": {"code", "message", "details"?}}`.',
      },
      components: {
        securitySchemes: SECURITY_SCHEMES,
      },
      // Each operation states its own security (route-contract.ts); none is assumed.
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => describeEventStreamResponses('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });
  await app.register(fastifyWebsocket, { options: { maxPayload: limits.wsMaxMessageBytes } });
  // The WebSocket plugin hides its routes from the document; the live-events route is part of the API.
  app.addHook('onRoute', (route) => {
    if (route.websocket && route.method === 'GET' && route.schema) route.schema.hide = false;
  });

  app.get('/v1/openapi.json', { config: { open: true }, schema: { hide: true } }, async () => app.swagger());
  healthRoutes(app, deps.probes);
  consoleRoutes(app, deps.consoleDir !== undefined ? { dir: deps.consoleDir } : {}, deps.runtime);
  if (deps.runtime) {
    const runtime = deps.runtime;
    // Which origins some app allows, in memory for CORS preflights (src/stores/app-origins.ts).
    const origins = new OriginDirectory(runtime.redis, runtime.mongo, { log: app.log, ...(deps.originsRefreshMs !== undefined ? { refreshMs: deps.originsRefreshMs } : {}) });
    await origins.start();
    app.addHook('onClose', async () => origins.close());
    const streams = { streamsPerToken: limits.streamsPerToken, streamsPerApp: limits.streamsPerApp, ...deps.streamSettings };
    await app.register(async (scope) => {
      consoleConfigRoutes(scope, runtime);
      appRoutes(scope, runtime);
      analyticsRoutes(scope, runtime);
      auditRoutes(scope, runtime);
      sessionRoutes(scope, runtime);
      opsRoutes(scope, runtime);
      notifyRoutes(scope, runtime);
      metricsRoutes(scope, runtime, deps.workerMetricsUrl ? { workerMetricsUrl: deps.workerMetricsUrl } : {});
      packRoutes(scope, runtime, streams);
      // The console's live overview (one shared snapshot per process): src/api/console-live.ts.
      consoleLiveRoutes(scope, runtime, streams);
      // The browser routes (what a runtime token may call), the only ones that answer CORS (src/api/cors.ts).
      await scope.register(async (browser) => {
        await browserAccess(browser, { runtime, origins, routes });
        chatListRoutes(browser, runtime);
        chatRoutes(browser, runtime);
        streamRoutes(browser, runtime, streams);
      });
    });
  }
  await app.ready();
  return app;
}
