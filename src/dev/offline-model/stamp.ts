/**
 * Send-time stamps for latency measurements: with the request header `x-offline-stamp: send-time`
 * every streamed text delta starts with `<t:EPOCH_MS>` (sub-millisecond, taken just before the
 * chunk is written), so a reader at the far end of any pipeline can tell how long each token
 * took to reach it. Off unless asked for; the answer is otherwise unchanged.
 */
import { performance } from 'node:perf_hooks';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

export const STAMP_HEADER = 'x-offline-stamp';
export const STAMP_VALUE = 'send-time';

const STAMP = /<t:(\d+(?:\.\d+)?)>/g;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The chunk with its text delta stamped (chunks without text are returned as they are). */
export function stampChunk(chunk: ChatCompletionChunk, at: number): ChatCompletionChunk {
  const choice = chunk.choices[0];
  if (!choice?.delta.content) return chunk;
  return { ...chunk, choices: [{ ...choice, delta: { ...choice.delta, content: `<t:${at.toFixed(3)}>${choice.delta.content}` } }, ...chunk.choices.slice(1)] };
}

/** Send times found in a piece of streamed text, in order. */
export function readStamps(text: string): number[] {
  return [...text.matchAll(STAMP)].map((match) => Number(match[1]));
}

export function stripStamps(text: string): string {
  return text.replace(STAMP, '');
}
