/**
 * The SDK's server-sent events parser, fed the byte-for-byte shapes the format allows: CRLF, LF
 * and CR line ends (a CRLF split across chunks counts once), multi-line data, comments, `retry:`,
 * a block without data (dispatches nothing), an id only on the block that carries it, a leading
 * byte order mark, and chunks cut at any character.
 */
import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../../sdk/src/index.js';

function parse(chunks: string[]): { messages: SseMessage[]; retries: number[]; comments: string[] } {
  const out = { messages: [] as SseMessage[], retries: [] as number[], comments: [] as string[] };
  const parser = new SseParser({
    onMessage: (message) => out.messages.push(message),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (text) => out.comments.push(text),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return out;
}

const STREAM =
  '\ufeffretry: 1500\n\n' +
  ': keepalive\r\n\r\n' +
  'id: 1-0\r\nevent: turn.started\r\ndata: {"type":"turn.started"}\r\n\r\n' +
  'id: 1-1\revent: message.delta\rdata: {"a":\rdata: 1}\r\r' +
  'event: stream.error\ndata:{"type":"stream.error"}\n\n' +
  'id: 1-2\n\n' +
  'data: plain\n\n';

describe('SseParser', () => {
  const expected = {
    messages: [
      { id: '1-0', event: 'turn.started', data: '{"type":"turn.started"}' },
      { id: '1-1', event: 'message.delta', data: '{"a":\n1}' },
      { id: null, event: 'stream.error', data: '{"type":"stream.error"}' },
      { id: null, event: 'message', data: 'plain' },
    ],
    retries: [1500],
    comments: ['keepalive'],
  };

  it('reads every field and line ending in one chunk', () => {
    expect(parse([STREAM])).toEqual(expected);
  });

  it('gives the same messages however the stream is cut', () => {
    for (let size = 1; size <= 7; size++) {
      const chunks = Array.from({ length: Math.ceil(STREAM.length / size) }, (_, index) => STREAM.slice(index * size, (index + 1) * size));
      expect(parse(chunks), `chunks of ${size}`).toEqual(expected);
    }
    // Every single cut point, CRLF halves included.
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(parse([STREAM.slice(0, cut), STREAM.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('holds an unfinished block until its blank line', () => {
    expect(parse(['id: 2-0\ndata: {"x":1}\n']).messages).toEqual([]);
  });
});
