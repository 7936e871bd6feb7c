/**
 * Test clients for the live chat streams: `fetch` + `eventsource-parser` for SSE and `ws` for
 * WebSocket, collecting frames with a way to wait for one that matches.
 */
import { createParser } from 'eventsource-parser';
import { expect } from 'vitest';
import { WebSocket } from 'ws';

export interface Frame {
  id: string | null;
  type: string;
  turn_id?: string;
  data: Record<string, unknown>;
}

/** Frames a client received, with a way to wait for one that matches. */
export class Received {
  readonly frames: Frame[] = [];
  comments = 0;
  pings = 0;
  ended = false;
  closeCode: number | undefined;
  /** Set when the test hangs up: what arrives after that was never seen by the client. */
  stopped = false;
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];

  push(frame: Frame): void {
    if (this.stopped) return;
    this.frames.push(frame);
    this.wake();
  }

  wake(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  until(check: (received: this) => boolean): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check: () => check(this), resolve }));
  }

  untilEvent(type: string, turnId?: string): Promise<void> {
    return this.until((received) => received.frames.some((frame) => frame.type === type && (!turnId || frame.turn_id === turnId)));
  }

  get ids(): string[] {
    return this.frames.flatMap((frame) => (frame.id === null ? [] : [frame.id]));
  }
}

export interface SseClient extends Received {
  status: number;
  close(): void;
}

/** A fetch-based SSE client: `id:` and `event:` of each message, its JSON data, comments. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const client = Object.assign(new Received(), { status: response.status }) as SseClient;
  client.close = () => {
    client.stopped = true;
    abort.abort();
  };
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    return client;
  }
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const parser = createParser({
    onEvent: (message) => {
      const body = JSON.parse(message.data) as Omit<Frame, 'id'>;
      // The SSE event name and the JSON type always agree.
      expect(message.event).toBe(body.type);
      client.push({ id: message.id ?? null, ...body });
    },
    onComment: () => {
      client.comments++;
      client.wake();
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      // Aborted by the test, or cut by the server.
    }
    client.ended = true;
    client.wake();
  })();
  return client;
}

export interface WsClient extends Received {
  socket: WebSocket;
  close(): void;
}

export async function openWs(url: string): Promise<WsClient> {
  const socket = new WebSocket(url);
  const client = Object.assign(new Received(), { socket }) as WsClient;
  client.close = () => {
    client.stopped = true;
    socket.close();
  };
  socket.on('message', (data) => client.push(JSON.parse(String(data)) as Frame));
  socket.on('ping', () => {
    client.pings++;
    client.wake();
  });
  socket.on('close', (code) => {
    client.ended = true;
    client.closeCode = code;
    client.wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return client;
}

/** The HTTP status a refused WebSocket upgrade was answered with. */
export function wsRefusal(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => {});
  });
}

