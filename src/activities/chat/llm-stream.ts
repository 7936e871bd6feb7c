/**
 * Reads a streamed Chat Completion: hands each text delta on as it arrives, puts the tool calls
 * back together from their fragments, and keeps the usage the final chunk reports.
 *
 * Everything read here is made storable on the way in (`toStorableText`: NUL → U+FFFD; see
 * docs/design-notes.md, "Text that reaches a store"): the deltas published to the chat's stream,
 * the content that is stored and the tool calls are then the same text.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ToolCall } from '../../domain/chat';
import { toStorableText } from '../../domain/text/storable';

export interface StreamedCompletion {
  content: string;
  toolCalls: ToolCall[];
  /** Empty when the stream ended without the model saying why (a cut connection). */
  finishReason: string;
  /** The model that answered, as the provider names it (may be a dated variant). */
  model: string;
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number } | undefined;
  /** Milliseconds from `startedAt` to the first text or tool-call fragment; the total when none came. */
  ttftMs: number;
}

export interface StreamHandlers {
  /** Every chunk, before anything else is done with it (heartbeats go here). */
  onChunk(): void;
  /** Each text delta as it arrives; must not block the stream. */
  onDelta(delta: string): void;
}

export async function readCompletionStream(
  stream: AsyncIterable<ChatCompletionChunk>,
  handlers: StreamHandlers,
  startedAt: number,
): Promise<StreamedCompletion> {
  let content = '';
  let finishReason = '';
  let model = '';
  let usage: StreamedCompletion['usage'];
  let firstTokenAt: number | undefined;
  const calls = new Map<number, ToolCall>();

  for await (const chunk of stream) {
    handlers.onChunk();
    if (chunk.model) model = chunk.model;
    if (chunk.usage) {
      usage = {
        input_tokens: chunk.usage.prompt_tokens,
        cached_input_tokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
        output_tokens: chunk.usage.completion_tokens,
      };
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.finish_reason) finishReason = choice.finish_reason;
    const { delta } = choice;
    if (delta.content || delta.tool_calls?.length) firstTokenAt ??= Date.now();
    for (const fragment of delta.tool_calls ?? []) {
      const call = calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      if (fragment.id) call.id = fragment.id;
      if (fragment.function?.name) call.name += fragment.function.name;
      if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
      calls.set(fragment.index, call);
    }
    if (delta.content) {
      // Per delta: the transformation maps one character to one, so it never depends on a split.
      const text = toStorableText(delta.content);
      content += text;
      handlers.onDelta(text);
    }
  }
  // Some compatible servers omit call ids; results are matched to calls by id, so invent stable ones.
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]) => ({
      id: call.id ? toStorableText(call.id) : `call_${index}`,
      name: toStorableText(call.name),
      arguments: toStorableText(call.arguments),
    }));
  return { content, toolCalls, finishReason, model, usage, ttftMs: (firstTokenAt ?? Date.now()) - startedAt };
}
