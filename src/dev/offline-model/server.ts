/**
 * The offline model's HTTP server: OpenAI's `POST /v1/chat/completions` (plain and streamed) and
 * `GET /v1/models`, on loopback, answering deterministically (see reply.ts). Any Authorization
 * header is accepted. close() also cuts open streams, so a stack or test run stops promptly.
 */
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { invalidRequestError, openAiError } from './errors';
import { BadFailureHeaderError, FAILURE_HEADER, FailureInjector } from './failures';
import { canonicalJson, hashOf } from './hash';
import { composeTurn } from './reply';
import { chatCompletionRequestSchema } from './schema';
import { preciseNow, stampChunk, STAMP_HEADER, STAMP_VALUE } from './stamp';
import { countPromptTokens, loadTokenCounter, type TokenCounter } from './tokens';
import { LoadMeter } from './load-meter';
import { checkRandomFaults, drawRandomFault, type RandomFault, type RandomFaults } from './random-faults';
import { lastUserText } from './tools';
import { completionBody, streamParts, type StreamPart } from './wire';

export interface OfflineModelOptions {
  /** 0 or omitted: an ephemeral free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Simulated generation time per output token; default 0. */
  tokenLatencyMs?: number;
  /** Failures and stalls drawn at random per completion (see random-faults.ts); none by default. */
  faults?: RandomFaults;
}

export interface RunningOfflineModel {
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  port: number;
  /** Completions served: total, in flight now, and the most at once since the last reset. */
  load: LoadMeter;
  /** Changes the simulated time per output token for requests from now on (benchmarks switch pace). */
  setTokenLatencyMs(ms: number): void;
  /** Switches random faults on (or off, with undefined) for requests from now on. */
  setFaults(faults: RandomFaults | undefined): void;
  /** How many completions got each random fault so far. */
  readonly faultsInjected: Record<RandomFault['kind'], number>;
  close(): Promise<void>;
}

interface AppDependencies {
  counter: TokenCounter;
  /** Read per request, so a running server can change pace. */
  readonly tokenLatencyMs: number;
  /** Read per request, like the pace. */
  readonly faults?: RandomFaults | undefined;
  /** Counts the random faults handed out. */
  faultsInjected?: Record<RandomFault['kind'], number>;
  /** Aborted when the server closes: ends simulated latency and open streams. */
  shutdown: AbortSignal;
  load?: LoadMeter;
}

export const OFFLINE_MODEL_IDS = ['tessera-offline', 'tessera-offline-mini'] as const;
// A fixed date, so the model list is as deterministic as the answers.
const MODELS_CREATED = 1_735_689_600;
const BODY_LIMIT_BYTES = 64 * 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Waits, unless the signal fires first; false means "stop, we were interrupted". */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    // Timers overflow past ~24.8 days (and would then fire at once).
    await sleep(Math.min(ms, MAX_TIMER_MS), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function describeError(error: unknown): { statusCode?: number; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const statusCode = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
  return { statusCode, message: error.message };
}

function modelEntry(id: string) {
  return { id, object: 'model' as const, created: MODELS_CREATED, owned_by: 'tessera' };
}

/**
 * Writes the stream as server-sent events, sleeping per output token. `cutAfter` (injected
 * `midstream` failure) destroys the connection after that many chunks, without `[DONE]`.
 */
async function writeStream(
  raw: ServerResponse,
  parts: StreamPart[],
  requestId: string,
  latencyMs: number,
  stop: AbortSignal,
  options: { cutAfter?: number; stamp?: boolean; stall?: { at: number; ms: number } } = {},
): Promise<void> {
  const { cutAfter, stamp, stall } = options;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId });
  // At 0 ms per token every chunk is ready at once: one socket write for all of them, as a
  // provider's proxy would send them, instead of a system call per chunk.
  const atOnce = latencyMs === 0 && cutAfter === undefined && stall === undefined;
  if (atOnce) raw.cork();
  let flushed: Promise<void> = Promise.resolve();
  for (const [index, part] of parts.entries()) {
    if (index === cutAfter) {
      // Let the client see the first half before the connection drops.
      await flushed;
      raw.destroy();
      return;
    }
    if (index === stall?.at) {
      // A stalled provider: what was sent stays sent, the rest comes after the pause.
      await flushed;
      if (!(await pause(stall.ms, stop))) {
        raw.destroy();
        return;
      }
    }
    if (!(await pause(part.tokens * latencyMs, stop))) {
      raw.destroy();
      return;
    }
    if (raw.destroyed) return;
    const chunk = stamp ? stampChunk(part.chunk, preciseNow()) : part.chunk;
    flushed = new Promise((resolve) => raw.write(`data: ${JSON.stringify(chunk)}\n\n`, () => resolve()));
  }
  raw.end('data: [DONE]\n\n'); // also uncorks
}

export function buildOfflineModelApp(deps: AppDependencies): FastifyInstance {
  const { counter, shutdown } = deps;
  // Destroy every socket on close, streaming ones included ('idle' would wait for them).
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: BODY_LIMIT_BYTES });
  const failures = new FailureInjector();
  const cutMidstream = new WeakSet<FastifyRequest>();
  const stalls = new WeakMap<FastifyRequest, number>();

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(openAiError(404, `Unknown request URL: ${request.method} ${request.url}.`, { code: 'unknown_url' })),
  );

  app.setErrorHandler((error, _request, reply) => {
    const { statusCode, message } = describeError(error);
    const status = statusCode !== undefined && statusCode >= 400 && statusCode <= 599 ? statusCode : 500;
    // Fastify's body parsing errors (bad JSON, empty body, wrong content type) arrive here.
    const text = status === 400 ? `We could not parse the JSON body of your request: ${message}` : message;
    return reply.code(status).send(openAiError(status, text));
  });

  app.addHook('preHandler', async (request, reply) => {
    const value = headerValue(request, FAILURE_HEADER);
    try {
      const failure = failures.failureFor(value, `${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`);
      if (failure?.kind === 'status') {
        return reply.code(failure.status).send(openAiError(failure.status, `Injected failure (${FAILURE_HEADER}: ${value}).`));
      }
      if (failure?.kind === 'midstream') cutMidstream.add(request);
      // Random faults apply to completions the header left alone.
      const drawn = failure || !request.url.startsWith('/v1/chat/completions') ? undefined : drawRandomFault(deps.faults);
      if (drawn && deps.faultsInjected) deps.faultsInjected[drawn.kind]++;
      if (drawn?.kind === 'status') return reply.code(drawn.status).send(openAiError(drawn.status, 'Injected random failure.'));
      if (drawn?.kind === 'midstream') cutMidstream.add(request);
      if (drawn?.kind === 'stall') stalls.set(request, drawn.ms);
    } catch (error) {
      if (!(error instanceof BadFailureHeaderError)) throw error;
      return reply.code(400).send(openAiError(400, error.message, { param: FAILURE_HEADER }));
    }
    return undefined;
  });

  app.get('/v1/models', async () => ({ object: 'list', data: OFFLINE_MODEL_IDS.map(modelEntry) }));
  // Any model id "exists": the offline model answers for whatever a template names.
  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => modelEntry(request.params.model));

  app.post('/v1/chat/completions', async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = chatCompletionRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidRequestError(parsed.error, request.body));
    const body = parsed.data;
    const leave = deps.load?.enter(lastUserText(body));
    // Written in full when the response ended before its connection closed.
    if (leave) reply.raw.once('close', () => leave(reply.raw.writableFinished));
    const digest = hashOf(request.body);
    const meta = { id: `chatcmpl-${digest.slice(0, 29)}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const requestId = `req_${digest.slice(29, 61)}`;
    const turn = composeTurn(body, counter);
    const promptTokens = countPromptTokens(counter, body);
    const cut = cutMidstream.has(request);
    const stallMs = stalls.get(request) ?? 0;

    // Stop simulating work as soon as the client goes away or the server closes.
    const clientGone = new AbortController();
    reply.raw.on('close', () => clientGone.abort());
    const stop = AbortSignal.any([shutdown, clientGone.signal]);

    if (body.stream) {
      const parts = streamParts(meta, turn, promptTokens, body.stream_options?.include_usage === true, counter);
      reply.hijack();
      await writeStream(reply.raw, parts, requestId, deps.tokenLatencyMs, stop, {
        ...(cut ? { cutAfter: Math.ceil(parts.length / 2) } : {}),
        stamp: headerValue(request, STAMP_HEADER) === STAMP_VALUE,
        ...(stallMs > 0 ? { stall: { at: Math.ceil(parts.length / 2), ms: stallMs } } : {}),
      });
      return reply;
    }
    const finished = await pause((cut ? turn.completionTokens / 2 : turn.completionTokens) * deps.tokenLatencyMs + stallMs, stop);
    if (cut || !finished) {
      reply.hijack();
      reply.raw.destroy();
      return reply;
    }
    return reply.header('x-request-id', requestId).send(completionBody(meta, turn, promptTokens));
  });

  return app;
}

/** Host as it goes in a URL: wildcard binds are reached on loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startOfflineModel(options: OfflineModelOptions = {}): Promise<RunningOfflineModel> {
  const host = options.host ?? '127.0.0.1';
  const shutdown = new AbortController();
  const load = new LoadMeter();
  const faultsInjected = { status: 0, midstream: 0, stall: 0 };
  const pace: { tokenLatencyMs: number; faults?: RandomFaults | undefined } = {
    tokenLatencyMs: options.tokenLatencyMs ?? 0,
    faults: options.faults && checkRandomFaults(options.faults),
  };
  const app = buildOfflineModelApp({
    counter: await loadTokenCounter(),
    get tokenLatencyMs() {
      return pace.tokenLatencyMs;
    },
    get faults() {
      return pace.faults;
    },
    faultsInjected,
    shutdown: shutdown.signal,
    load,
  });
  await app.listen({ port: options.port ?? 0, host });
  const port = (app.server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}/v1`,
    port,
    load,
    faultsInjected,
    setTokenLatencyMs: (ms) => {
      pace.tokenLatencyMs = Math.max(0, ms);
    },
    setFaults: (faults) => {
      pace.faults = faults && checkRandomFaults(faults);
    },
    close: () => {
      closing ??= (async () => {
        shutdown.abort();
        await app.close();
      })();
      return closing;
    },
  };
}
