/**
 * The API on real services for tests: a Temporal dev server (or the given environment), a chat
 * worker on its own task queue, FerretDB and Redis through a chat kit, and the Fastify server
 * listening on a loopback port. Tests talk to it over real HTTP, SSE and WebSocket.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { createChatActivities } from '../../src/activities/chat';
import { createApiRuntime } from '../../src/api/build-runtime';
import type { ApiRuntime } from '../../src/api/runtime';
import { buildApi } from '../../src/api/server';
import { buildPriceBook } from '../../src/domain/pricing';
import { createChatKit, TEMPLATES_DIR, type ChatKit } from './chat-kit';
import { services } from './services';
import { startDevServer } from './temporal';

export interface ApiStack {
  env: TestWorkflowEnvironment;
  kit: ChatKit;
  api: FastifyInstance;
  runtime: ApiRuntime;
  url: string;
  adminKey: string;
  secrets: { adminKey: string; jwtSecret: string; keyPepper: string };
  /** Creates an app through the API; returns its key. */
  createApp(appId: string, body?: Record<string, unknown>): Promise<string>;
  /** fetch against the API with a bearer credential. */
  call(method: string, path: string, opts?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export interface ApiStackOptions {
  label?: string;
  llmBaseUrl?: string;
  /** Run no worker in this process (a test starts its own). */
  noWorker?: boolean;
  env?: TestWorkflowEnvironment;
  /** Chat task queue (default: one of the kit's own); API processes of their own use `tessera-chat`. */
  taskQueue?: string;
  /** Templates the API loads (default: the repository's templates/). */
  templatesDir?: string;
}

export async function startApiStack(options: ApiStackOptions = {}): Promise<ApiStack> {
  const ownEnv = !options.env;
  const env = options.env ?? (await startDevServer());
  const kit = await createChatKit(env, { label: options.label ?? 'api', ...(options.llmBaseUrl ? { llmBaseUrl: options.llmBaseUrl } : {}), ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}) });
  const secrets = {
    adminKey: `tsa_${randomBytes(18).toString('base64url')}`,
    jwtSecret: randomBytes(32).toString('base64url'),
    keyPepper: randomBytes(32).toString('base64url'),
  };
  const runtime = createApiRuntime({
    temporal: env.client,
    mongo: kit.mongo,
    redis: kit.redis,
    secrets,
    templatesDir: options.templatesDir ?? TEMPLATES_DIR,
    publicUrl: 'http://127.0.0.1:0',
    chatTaskQueue: kit.taskQueue,
  });
  const api = await buildApi({ logLevel: 'silent', probes: [], runtime });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  runtime.publicUrl = url;

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (!options.noWorker) {
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: kit.taskQueue,
      workflowBundle: { codePath: services().workflowBundlePath },
      activities: createChatActivities({
        mongo: kit.mongo,
        redis: kit.redis,
        llm: new OpenAI({ apiKey: 'offline', baseURL: options.llmBaseUrl ?? services().llmBaseUrl, maxRetries: 0 }),
        priceBook: buildPriceBook(),
        httpAllowlist: [],
      }),
    });
    running = worker.run();
  }

  const call: ApiStack['call'] = (method, path, opts = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
    });

  return {
    env,
    kit,
    api,
    runtime,
    url,
    adminKey: secrets.adminKey,
    secrets,
    call,
    async createApp(appId, body = {}) {
      const response = await call('POST', '/v1/apps', { key: secrets.adminKey, body: { app_id: appId, name: appId, ...body } });
      if (response.status !== 201) throw new Error(`creating app ${appId}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { api_key: string }).api_key;
    },
    async close() {
      await reportSlow('API close', api.close());
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await reportSlow('worker shutdown', running ?? Promise.resolve());
      await reportSlow('kit close', kit.close());
      if (ownEnv) await reportSlow('dev server teardown', env.teardown());
    },
  };
}

/** Says which teardown step is slow (a hung close otherwise only shows as a hook timeout). */
async function reportSlow<T>(step: string, promise: Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => console.warn(`api-stack: ${step} still running after ${Math.round((Date.now() - started) / 1000)} s`), 10_000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}
