/**
 * `GET /console/api/live`: the console's live overview as server-sent events (`EventSource` with the
 * console's session cookie, or an admin or app key), hidden from the API document like the other
 * `/console/api/*` routes. Every second an `event: snapshot` whose data is the process's one shared
 * snapshot (console-live-snapshot.ts) as the caller may see it: the admin every app, an app key or
 * an app owner's session its own app only. `retry:` first, a comment line as heartbeat.
 *
 * Bounded: a caller holds at most the per-credential stream limit of streams across replicas (429
 * `too_many_streams_for_caller`), a process at most its stream maximum (503). A stream ends by
 * itself after a few minutes, and the browser's EventSource reconnects: the credential is checked
 * again then, so a signed-out session or a rotated key stops seeing the overview soon after.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../domain/api/errors';
import { callerOf, guard } from './auth/guard';
import { LiveOverviewHub, type LiveSubscriber } from './console-live-hub';
import { LiveStreamSlots, type LiveCaller } from './console-live-slots';
import { LiveSnapshotSource } from './console-live-snapshot';
import { HttpError } from './errors';
import type { ApiRuntime } from './runtime';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from './streams/settings';

export const CONSOLE_LIVE_PATH = '/console/api/live';
/** A stream's lifetime before the server ends it (the client reconnects), ±10 % so pages spread out. */
export const LIVE_STREAM_LIFETIME_MS = 5 * 60_000;

export interface ConsoleLiveOptions {
  /** Tests shorten the lifetime of a stream. */
  lifetimeMs?: number;
}

export function consoleLiveRoutes(scope: FastifyInstance, runtime: ApiRuntime, overrides: Partial<StreamSettings> = {}, options: ConsoleLiveOptions = {}): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const settings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...overrides };
  const slots = new LiveStreamSlots(runtime.redis, { perCaller: settings.streamsPerToken, slotTtlMs: settings.streamSlotTtlMs });
  const hub = new LiveOverviewHub(new LiveSnapshotSource(runtime), slots, scope.log);
  const lifetimeMs = options.lifetimeMs ?? LIVE_STREAM_LIFETIME_MS;
  app.addHook('preClose', async () => hub.close());

  app.get(CONSOLE_LIVE_PATH, {
    onRequest: guard(runtime, ['admin', 'app']),
    schema: { hide: true, querystring: z.object({}), response: errorResponses(401, 403, 429, 503) },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const live: LiveCaller = caller.kind === 'app' ? { kind: 'app', appId: caller.appId } : { kind: 'admin' };
    if (hub.size >= settings.maxStreams) {
      throw new HttpError(503, 'too_many_streams', 'this server is serving its maximum of live streams; retry shortly', undefined, { 'retry-after': '5' });
    }
    const slot = await slots.acquire(live);
    reply.hijack();
    const raw = reply.raw;
    try {
      // Long-lived by design: the server's idle timeout is not for it (heartbeats find dead peers).
      request.raw.socket.setTimeout(0);
      const headers = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined));
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      if (request.method === 'HEAD') {
        raw.end();
        return;
      }
      raw.write(`retry: ${settings.sseRetryMs}\n\n`);
      await serve(raw, live, hub, settings, lifetimeMs * (0.9 + Math.random() * 0.2));
    } finally {
      await slots.release(slot);
    }
  });
}

/** Until the client goes, the server closes, or the stream's lifetime is over. A client whose socket
 * stays full skips snapshots (the next one supersedes them) and is cut after the stall timeout. */
async function serve(raw: ServerResponse, caller: LiveCaller, hub: LiveOverviewHub, settings: StreamSettings, lifetimeMs: number): Promise<void> {
  let fullSince: number | undefined;
  const end = () => {
    if (!raw.writableEnded && !raw.destroyed) raw.end();
  };
  const subscriber: LiveSubscriber = {
    caller,
    send: (message) => {
      if (raw.writableEnded || raw.destroyed || message === '') return;
      if (raw.writableNeedDrain) {
        fullSince ??= Date.now();
        if (Date.now() - fullSince > settings.stallTimeoutMs) raw.destroy();
        return;
      }
      fullSince = undefined;
      raw.write(message);
    },
    end,
  };
  if (raw.destroyed) return;
  const closed = new Promise<void>((resolve) => raw.once('close', resolve));
  const heartbeat = setInterval(() => {
    if (!raw.writableNeedDrain && !raw.writableEnded) raw.write(': keepalive\n\n');
  }, settings.heartbeatMs);
  const lifetime = setTimeout(end, lifetimeMs);
  hub.subscribe(subscriber);
  try {
    await closed;
  } finally {
    hub.unsubscribe(subscriber);
    clearInterval(heartbeat);
    clearTimeout(lifetime);
  }
}
