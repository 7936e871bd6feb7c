/**
 * A small server-sent events parser (the WHATWG event stream format): lines end with CRLF, LF or
 * CR; `id:`, `event:`, `data:` (joined with newlines) and `retry:` fields; `:` comments; a blank
 * line dispatches the message. Fed decoded text in chunks of any size.
 */
export interface SseMessage {
  /** The block's `id:` field, or null when it had none. */
  id: string | null;
  event: string;
  data: string;
}

export interface SseHandlers {
  onMessage(message: SseMessage): void;
  onRetry?(ms: number): void;
  onComment?(text: string): void;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  private first = true;

  constructor(private readonly handlers: SseHandlers) {}

  feed(chunk: string): void {
    let text = this.buffer + chunk;
    if (this.first && text.length > 0) {
      // A byte order mark may open the stream.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (char === 13 && i === text.length - 1) break;
      this.line(text.slice(start, i));
      if (char === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.buffer = text.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const data = this.data;
    const message: SseMessage = { id: this.id, event: this.event || 'message', data: data.join('\n') };
    this.data = [];
    this.event = '';
    this.id = null;
    if (data.length > 0) this.handlers.onMessage(message);
  }
}
