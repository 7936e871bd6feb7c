/**
 * Answers a request with a live event stream over server-sent events: the shared tail of every SSE
 * route (chat events, pack-run progress) once it has authenticated the caller and found the stream.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { HttpError } from '../errors';
import { endWhenCredentialExpires } from './expiry';
import type { ServedStream, StreamRegistry } from './registry';
import { serveChatStream } from './serve';
import type { StreamSettings } from './settings';
import { SseChannel } from './sse';

export interface SseStream {
  redis: Redis;
  appId: string;
  /** The Redis Stream's id within the app (a chat id, or a pack run's stream id). */
  streamId: string;
  /** Resume after this event id. */
  after: string;
  /** Where a client that fell behind the capped stream reads what it missed. */
  transcriptUrl: string;
}

/** Refuses with 503 when the process already serves its maximum of streams. */
export function assertStreamCapacity(registry: StreamRegistry, settings: StreamSettings): void {
  if (registry.size >= settings.maxStreams) {
    throw new HttpError(503, 'too_many_streams', 'this server is serving its maximum of live streams; retry shortly', undefined, { 'retry-after': '5' });
  }
}

export async function respondWithSse(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: SseStream,
  registry: StreamRegistry,
  settings: StreamSettings,
): Promise<void> {
  reply.hijack();
  // A live stream is long-lived by design: the server's idle timeout is not for it (heartbeats and
  // the stall timeout find dead peers).
  request.raw.socket.setTimeout(0);
  if (request.method === 'HEAD') {
    // Headers only: a HEAD response has no body to stream (and Node would never send the headers).
    // The headers set so far (request id, CORS grant) and the stream's own.
    const set = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined));
    reply.raw.writeHead(200, { ...set, 'x-request-id': String(request.id), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    reply.raw.end();
    return;
  }
  const channel = new SseChannel(reply.raw, reply.getHeaders(), settings);
  const served: ServedStream = { shutdown: () => channel.end() };
  if (!registry.add(served)) {
    channel.end();
    return;
  }
  const cancelExpiry = request.caller ? endWhenCredentialExpires(request.caller, new Date(), (frame) => channel.end(frame)) : undefined;
  try {
    await serveChatStream({
      redis: stream.redis,
      appId: stream.appId,
      chatId: stream.streamId,
      after: stream.after,
      transcriptUrl: stream.transcriptUrl,
      channel,
      end: (frame) => channel.end(frame),
      settings,
      log: request.log,
    });
  } finally {
    cancelExpiry?.();
    registry.remove(served);
    channel.end();
  }
}
