/**
 * One live client of one chat, whatever the transport: a reader with its own Redis connection, the
 * pump between them, and the teardown when either side ends. The reader is closed exactly when the
 * client goes (or the server stops), which also ends a read blocked in Redis.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { ChatEvents } from '../../stores/chat-events';
import { errorFrame, type StreamFrame } from './frames';
import { pumpChatEvents, type FrameSink } from './pump';
import type { StreamSettings } from './settings';

export interface StreamChannel extends FrameSink {
  readonly closed: AbortSignal;
}

export interface ServeOptions {
  redis: Redis;
  appId: string;
  chatId: string;
  after: string;
  transcriptUrl: string;
  channel: StreamChannel;
  /** Ends the transport, after a last frame when given. */
  end(frame?: StreamFrame): void;
  settings: StreamSettings;
  log: FastifyBaseLogger;
}

export async function serveChatStream(options: ServeOptions): Promise<void> {
  const { channel } = options;
  const reader = new ChatEvents(options.redis).openReader(
    { appId: options.appId, chatId: options.chatId },
    // Names the connection in CLIENT LIST: which chat's stream holds it.
    `tessera-stream:${options.appId}:${options.chatId}`,
  );
  const stop = () => reader.close();
  channel.closed.addEventListener('abort', stop, { once: true });
  try {
    await pumpChatEvents({
      reader,
      sink: channel,
      after: options.after,
      transcriptUrl: options.transcriptUrl,
      settings: options.settings,
      closed: channel.closed,
    });
  } catch (error) {
    // A read fails when its connection is closed under it: that is the client leaving.
    if (channel.closed.aborted) return;
    options.log.error({ err: error, chat_id: options.chatId }, 'chat event stream failed');
    options.end(errorFrame('the event stream failed; reconnect with the last event id to resume'));
  } finally {
    channel.closed.removeEventListener('abort', stop);
    reader.close();
  }
}
