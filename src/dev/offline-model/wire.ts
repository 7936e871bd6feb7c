/**
 * Renders a model turn as OpenAI's wire objects: one `chat.completion`, or the sequence of
 * `chat.completion.chunk`s a stream sends. Typed with the `openai` package's own response types,
 * so a shape the client would not understand fails to compile.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ModelTurn } from './reply';
import type { TokenCounter } from './tokens';

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** A chunk plus the output tokens it carries (what the per-token latency is charged on). */
export interface StreamPart {
  chunk: ChatCompletionChunk;
  tokens: number;
}

const SYSTEM_FINGERPRINT = 'fp_offline';
const ARGUMENT_CHARS_PER_CHUNK = 8;

export function usageOf(promptTokens: number, completionTokens: number): CompletionUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function completionBody(meta: CompletionMeta, turn: ModelTurn, promptTokens: number): ChatCompletion {
  const message: ChatCompletion.Choice['message'] =
    turn.kind === 'text'
      ? { role: 'assistant', content: turn.content, refusal: null, annotations: [] }
      : {
          role: 'assistant',
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: turn.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
        };
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, finish_reason: turn.finishReason, logprobs: null }],
    usage: usageOf(promptTokens, turn.completionTokens),
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** Word-sized pieces that concatenate back to exactly `text` (whitespace rides with the next word). */
export function wordPieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Fixed-size pieces by code point, so no piece splits a surrogate pair. */
function argumentPieces(text: string): string[] {
  const points = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < points.length; i += ARGUMENT_CHARS_PER_CHUNK) pieces.push(points.slice(i, i + ARGUMENT_CHARS_PER_CHUNK).join(''));
  return pieces;
}

function deltaPieces(turn: ModelTurn, counter: TokenCounter): { delta: ChatCompletionChunk.Choice.Delta; tokens: number }[] {
  if (turn.kind === 'text') {
    return [
      { delta: { role: 'assistant', content: '', refusal: null }, tokens: 0 },
      ...wordPieces(turn.content).map((piece) => ({ delta: { content: piece }, tokens: counter.count(piece) })),
    ];
  }
  const parts: { delta: ChatCompletionChunk.Choice.Delta; tokens: number }[] = [];
  turn.toolCalls.forEach((call, index) => {
    const opening = { index, id: call.id, type: 'function' as const, function: { name: call.name, arguments: '' } };
    // OpenAI opens the stream with the role and the first call's header in one delta.
    const delta: ChatCompletionChunk.Choice.Delta =
      index === 0 ? { role: 'assistant', content: null, refusal: null, tool_calls: [opening] } : { tool_calls: [opening] };
    parts.push({ delta, tokens: counter.count(call.name) });
    for (const piece of argumentPieces(call.arguments)) {
      parts.push({ delta: { tool_calls: [{ index, function: { arguments: piece } }] }, tokens: counter.count(piece) });
    }
  });
  return parts;
}

/**
 * The chunks of a streamed turn: role, content (or tool call) deltas, the finish reason, and, when
 * asked for, a last chunk with no choices and the usage (earlier chunks then carry `usage: null`).
 */
export function streamParts(meta: CompletionMeta, turn: ModelTurn, promptTokens: number, includeUsage: boolean, counter: TokenCounter): StreamPart[] {
  const chunk = (choices: ChatCompletionChunk.Choice[], usage?: CompletionUsage): ChatCompletionChunk => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const parts: StreamPart[] = deltaPieces(turn, counter).map(({ delta, tokens }) => ({
    chunk: chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]),
    tokens,
  }));
  parts.push({ chunk: chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: turn.finishReason }]), tokens: 0 });
  if (includeUsage) parts.push({ chunk: chunk([], usageOf(promptTokens, turn.completionTokens)), tokens: 0 });
  return parts;
}
