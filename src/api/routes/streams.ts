/**
 * Live chat events: `GET /v1/chats/:chat_id/events` (server-sent events) and
 * `GET /v1/chats/:chat_id/ws` (WebSocket). Both read the chat's Redis Stream, so they follow turns
 * that run in any worker process, and resume after the last event id a client saw (`Last-Event-ID`
 * or `?after=`); without one they start at the oldest event the stream still holds. The credential
 * may come as `?access_token=` (browsers cannot set headers on either).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { chatReadQuery } from '../../domain/api/chats';
import { errorResponses } from '../../domain/api/errors';
import { guard } from '../auth/guard';
import { accessChat, type ChatAccess } from '../chat-access';
import { readChat } from '../chat-read-access';
import type { ApiRuntime } from '../runtime';
import { sseHeaders, sseQuery, streamParams, wsQuery } from '../streams/schema';
import { serveChatStream } from '../streams/serve';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from '../streams/settings';
import { assertStreamCapacity, respondWithSse } from '../streams/sse-response';
import { StreamRegistry, type ServedStream } from '../streams/registry';
import { endWhenCredentialExpires } from '../streams/expiry';
import { acquireStreamSlot, streamQuota, type StreamSlot } from '../streams/quota';
import { WS_GOING_AWAY, WS_INTERNAL_ERROR, WS_POLICY_VIOLATION, WsChannel } from '../streams/ws';

const tags = ['chats'];
const FROM_THE_START = '0-0';
const NO_SLOT: StreamSlot = { release: async () => {} };
const chatSseQuery = sseQuery.extend({ app_id: chatReadQuery.shape.app_id });

const EVENTS_DESCRIPTION = [
  'Server-sent events of the chat: `turn.started`, `message.delta`, `tool.called`, `tool.result`,',
  '`message.completed`, `turn.completed`, `turn.failed`, `turn.restarted` (drop that turn\'s partial deltas),',
  '`session.closed`. Each message has `id:` (resume after it with `Last-Event-ID` or `?after=`), `event:`',
  '(the type) and `data:` JSON `{type, turn_id?, data}`. `stream.truncated` says events after your position',
  'were dropped from the capped stream (read them from `transcript_url`), then the stream continues from the',
  'oldest event left; `stream.error` precedes the server ending the stream (reconnect and resume).',
  'The same events as JSON text frames `{id, type, turn_id?, data}` are served over WebSocket at',
  '`/v1/chats/{chat_id}/ws?after=<id>`.',
].join(' ');

export function streamRoutes(scope: FastifyInstance, runtime: ApiRuntime, overrides: Partial<StreamSettings> = {}): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const settings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...overrides };
  const registry = new StreamRegistry(settings.maxStreams);
  const chats = new WeakMap<FastifyRequest, ChatAccess & { slot: StreamSlot }>();
  const callers = guard(runtime, ['app', 'runtime'], { queryToken: true });
  // Tenancy and the stream limits are checked before a WebSocket upgrade, so a refusal is an HTTP
  // answer, not a closed socket.
  // (A request to the WebSocket route that is not an upgrade streams nothing: it takes no slot.)
  const findChat = async (request: FastifyRequest<{ Params: { chat_id: string } }>) => {
    const chat = await accessChat(runtime, request, request.params.chat_id);
    assertStreamCapacity(registry, settings);
    const streams = request.routeOptions.url?.endsWith('/ws') !== true || request.ws;
    const slot = streams ? await acquireStreamSlot(runtime.redis, chat.caller, streamQuota(settings), () => request.raw.socket.destroyed) : NO_SLOT;
    chats.set(request, { ...chat, slot });
  };
  // The SSE route also serves the admin (the console tails any app's running turn, read-only): its
  // stream counts against the chat's app.
  const findReadableChat = async (request: FastifyRequest<{ Params: { chat_id: string }; Querystring: { app_id?: string } }>) => {
    const chat = await readChat(runtime, request, request.params.chat_id, request.query.app_id);
    assertStreamCapacity(registry, settings);
    const slot = await acquireStreamSlot(runtime.redis, chat.streamCaller, streamQuota(settings), () => request.raw.socket.destroyed);
    chats.set(request, { ...chat, caller: chat.streamCaller, slot });
  };
  const transcriptUrl = (chatId: string) => `${runtime.publicUrl.replace(/\/$/, '')}/v1/chats/${encodeURIComponent(chatId)}/messages`;

  app.addHook('preClose', async () => registry.shutdownAll());

  app.get('/v1/chats/:chat_id/events', {
    onRequest: guard(runtime, ['app', 'runtime', 'admin'], { queryToken: true }),
    preHandler: findReadableChat,
    schema: {
      tags,
      summary: 'Live events of a chat (server-sent events); resumes after `Last-Event-ID`',
      description: `${EVENTS_DESCRIPTION} The admin follows any app's chat (read-only, audited in that app's log) by naming it in \`app_id\`.`,
      params: streamParams,
      querystring: chatSseQuery,
      headers: sseHeaders,
      produces: ['text/event-stream'],
      response: errorResponses(400, 401, 403, 404, 429, 503),
    },
  }, async (request, reply) => {
    const chat = chatOf(chats, request);
    try {
      await respondWithSse(request, reply, {
        redis: runtime.redis,
        appId: chat.appId,
        streamId: chat.chatId,
        after: request.headers['last-event-id'] ?? request.query.after ?? FROM_THE_START,
        transcriptUrl: transcriptUrl(chat.chatId),
      }, registry, settings);
    } finally {
      await chat.slot.release();
    }
  });

  app.get('/v1/chats/:chat_id/ws', {
    websocket: true,
    onRequest: callers,
    preHandler: findChat,
    schema: {
      tags,
      summary: 'Live events of a chat (WebSocket); resumes after `?after=`',
      params: streamParams,
      querystring: wsQuery,
      response: errorResponses(400, 401, 403, 404, 429, 503),
    },
  }, async (socket, request) => {
    const chat = chatOf(chats, request);
    // A live stream is long-lived by design: the server's idle timeout is not for it (heartbeats
    // and the stall timeout find dead peers).
    request.raw.socket.setTimeout(0);
    const channel = new WsChannel(socket, settings);
    const served: ServedStream = { shutdown: () => channel.end(WS_GOING_AWAY, 'server shutting down') };
    if (!registry.add(served)) {
      await chat.slot.release();
      channel.end(WS_GOING_AWAY, 'too many streams');
      return;
    }
    const cancelExpiry = endWhenCredentialExpires(chat.caller, new Date(), (frame) => channel.end(WS_POLICY_VIOLATION, 'runtime token expired', frame));
    try {
      await serveChatStream({
        redis: runtime.redis,
        appId: chat.appId,
        chatId: chat.chatId,
        after: request.query.after ?? FROM_THE_START,
        transcriptUrl: transcriptUrl(chat.chatId),
        channel,
        end: (frame) => channel.end(WS_INTERNAL_ERROR, 'event stream failed', frame),
        settings,
        log: request.log,
      });
    } finally {
      cancelExpiry();
      registry.remove(served);
      await chat.slot.release();
      channel.end(WS_GOING_AWAY, 'stream ended');
    }
  });
}

function chatOf<T extends ChatAccess>(chats: WeakMap<FastifyRequest, T>, request: FastifyRequest): T {
  const chat = chats.get(request);
  if (!chat) throw new Error(`route ${request.routeOptions.url ?? request.url} ran without its chat check`);
  return chat;
}
