/**
 * What a live client receives: the chat's stored events (id = Redis Stream entry id), plus
 * `stream.truncated` when the capped stream no longer holds everything after the client's position
 * and `stream.error` when the server must end the stream. Encoded as SSE messages or WebSocket
 * text frames.
 */
import type { StoredChatEvent, StreamGap } from '../../stores/chat-events';

export interface StreamFrame {
  /** Position to resume after; null for a notice that stands at no position. */
  id: string | null;
  type: string;
  turn_id?: string;
  data: Record<string, unknown>;
}

export function eventFrame(event: StoredChatEvent): StreamFrame {
  return { id: event.id, type: event.type, ...(event.turn_id ? { turn_id: event.turn_id } : {}), data: event.data };
}

/**
 * The client missed events (it fell behind the cap, or the stream expired): what is missing is in
 * the transcript. Its id is the position just before the oldest event left, so a client that
 * reconnects with it is not told again.
 */
export function truncatedFrame(gap: StreamGap, missedAfter: string, transcriptUrl: string): StreamFrame {
  return {
    id: gap.resumeAfter,
    type: 'stream.truncated',
    data: {
      missed_after: missedAfter,
      first_available_id: gap.firstAvailableId,
      resume_from: 'transcript',
      transcript_url: transcriptUrl,
    },
  };
}

export function errorFrame(message: string): StreamFrame {
  return { id: null, type: 'stream.error', data: { message } };
}

/** One SSE message; the data line is JSON, which never holds a raw newline. */
export function sseMessage(frame: StreamFrame): string {
  const body = JSON.stringify({ type: frame.type, ...(frame.turn_id ? { turn_id: frame.turn_id } : {}), data: frame.data });
  return `${frame.id === null ? '' : `id: ${frame.id}\n`}event: ${frame.type}\ndata: ${body}\n\n`;
}

export function wsMessage(frame: StreamFrame): string {
  return JSON.stringify(frame);
}
