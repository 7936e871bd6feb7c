/**
 * A chat stream over server-sent events on a hijacked Fastify response: the `retry:` hint first,
 * then one message per frame, a comment line as heartbeat, and `drain` as the signal to read on.
 */
import type { ServerResponse } from 'node:http';
import { untilReady } from './backpressure';
import { sseMessage, type StreamFrame } from './frames';
import type { FrameSink } from './pump';
import type { StreamSettings } from './settings';

export class SseChannel implements FrameSink {
  private readonly closing = new AbortController();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly raw: ServerResponse,
    /** Headers already set on the reply (the request id). */
    headers: Record<string, string | number | string[] | undefined>,
    private readonly settings: Pick<StreamSettings, 'heartbeatMs' | 'stallTimeoutMs' | 'sseRetryMs'>,
  ) {
    raw.writeHead(200, {
      ...Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    // Sends the headers now, so the client sees the stream open before the first event.
    raw.write(`retry: ${settings.sseRetryMs}\n\n`);
    raw.on('close', () => this.closing.abort());
    this.heartbeat = setInterval(() => {
      // A full socket already tells the stall timer what it needs; do not pile onto it.
      if (!raw.writableNeedDrain) raw.write(': keepalive\n\n');
    }, settings.heartbeatMs);
    this.closed.addEventListener('abort', () => clearInterval(this.heartbeat), { once: true });
  }

  get closed(): AbortSignal {
    return this.closing.signal;
  }

  async write(frames: StreamFrame[]): Promise<void> {
    if (this.closed.aborted) return;
    if (this.raw.write(frames.map(sseMessage).join(''))) return;
    const outcome = await untilReady(
      (ready) => {
        this.raw.once('drain', ready);
        return () => this.raw.off('drain', ready);
      },
      this.closed,
      this.settings.stallTimeoutMs,
    );
    if (outcome === 'stalled') this.raw.destroy();
  }

  /** Ends the response, after a last frame when given (EventSource then reconnects and resumes). */
  end(frame?: StreamFrame): void {
    clearInterval(this.heartbeat);
    if (this.raw.writableEnded || this.raw.destroyed) return;
    this.raw.end(frame ? sseMessage(frame) : undefined);
  }
}
