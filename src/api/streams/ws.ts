/**
 * A chat stream over a WebSocket: one text frame per event, a ping per heartbeat (a peer that did
 * not answer the previous one is cut), and the write callback of a batch's last frame as the
 * signal to read on (it fires once the data is handed to the kernel, so a peer that stops reading
 * stops the reads).
 */
import type { WebSocket } from 'ws';
import { untilReady } from './backpressure';
import { wsMessage, type StreamFrame } from './frames';
import type { FrameSink } from './pump';
import type { StreamSettings } from './settings';

/** Close codes (RFC 6455): going away (server shutting down), internal error. */
export const WS_GOING_AWAY = 1001;
export const WS_INTERNAL_ERROR = 1011;
/** The credential the stream was opened with is no longer valid. */
export const WS_POLICY_VIOLATION = 1008;

export class WsChannel implements FrameSink {
  private readonly closing = new AbortController();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly settings: Pick<StreamSettings, 'heartbeatMs' | 'stallTimeoutMs'>,
  ) {
    socket.on('close', () => this.closing.abort());
    let answered = true;
    socket.on('pong', () => {
      answered = true;
    });
    this.heartbeat = setInterval(() => {
      if (!answered) {
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, settings.heartbeatMs);
    this.closed.addEventListener('abort', () => clearInterval(this.heartbeat), { once: true });
  }

  get closed(): AbortSignal {
    return this.closing.signal;
  }

  async write(frames: StreamFrame[]): Promise<void> {
    if (this.closed.aborted || frames.length === 0) return;
    const last = frames.length - 1;
    frames.forEach((frame, index) => {
      if (index < last) this.socket.send(wsMessage(frame));
    });
    const lastFrame = frames[last] as StreamFrame;
    const outcome = await untilReady(
      (ready) => {
        // The callback also fires (with an error) when the socket closed first: ready either way.
        this.socket.send(wsMessage(lastFrame), () => ready());
        return () => {};
      },
      this.closed,
      this.settings.stallTimeoutMs,
    );
    if (outcome === 'stalled') this.socket.terminate();
  }

  /** Closes the socket, after a last frame when given. */
  end(code: number, reason: string, frame?: StreamFrame): void {
    clearInterval(this.heartbeat);
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (frame) this.socket.send(wsMessage(frame));
    this.socket.close(code, reason);
  }
}
