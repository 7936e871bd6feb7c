/**
 * Moves a chat's events from its Redis Stream to one client: read one bounded batch, hand it to the
 * transport, wait until the transport can take more, read again. Only one batch is ever held in
 * memory, so a slow or stalled client costs a socket buffer, not a growing queue, and never slows
 * anyone else (each client has its own reader and connection).
 */
import type { ChatStreamReader } from '../../stores/chat-events';
import { eventFrame, truncatedFrame, type StreamFrame } from './frames';
import type { StreamSettings } from './settings';

export interface FrameSink {
  /** Sends the frames in order; resolves once the transport can take more (or has closed). */
  write(frames: StreamFrame[]): Promise<void>;
}

export interface PumpOptions {
  reader: ChatStreamReader;
  sink: FrameSink;
  /** Position to start after ('0-0': everything the stream still holds). */
  after: string;
  transcriptUrl: string;
  settings: Pick<StreamSettings, 'batchSize' | 'blockMs'>;
  /** Aborted when the client goes; the caller closes the reader then, which ends a pending read. */
  closed: AbortSignal;
}

export async function pumpChatEvents(options: PumpOptions): Promise<void> {
  const { reader, sink, settings, closed } = options;
  let position = options.after;
  // A gap is reported once per position: the stream may stay gone (expired) until the next event.
  let gapReportedAt: string | undefined;
  while (!closed.aborted) {
    const batch = await reader.next(position, settings.batchSize, settings.blockMs, gapReportedAt !== position);
    if (closed.aborted) return;
    const frames: StreamFrame[] = [];
    if (batch.gap) {
      frames.push(truncatedFrame(batch.gap, position, options.transcriptUrl));
      position = batch.gap.resumeAfter ?? position;
      gapReportedAt = position;
    }
    for (const event of batch.events) frames.push(eventFrame(event));
    if (frames.length === 0) continue;
    await sink.write(frames);
    position = batch.events.at(-1)?.id ?? position;
  }
}
