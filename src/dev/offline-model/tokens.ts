/**
 * Token counting with OpenAI's o200k_base vocabulary (the gpt-4o / gpt-4.1 / o-series one), so the
 * offline model's usage numbers, costs and max_tokens cut-offs look like the real thing.
 */
import type { ChatCompletionRequest } from './schema';
import { textOf } from './schema';

export interface TokenCounter {
  count(text: string): number;
  /** The longest prefix of `text` that fits in `maxTokens` tokens. */
  truncate(text: string, maxTokens: number): string;
}

// OpenAI's documented accounting for chat models: every message is wrapped in a few tokens,
// a `name` costs one more, and every reply is primed with three.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
// Tool definitions are rendered into the prompt; a flat wrapper per tool approximates the framing.
const TOKENS_PER_TOOL = 8;
/** Texts whose token count is remembered (then the memory starts over). */
const COUNT_CACHE_ENTRIES = 10_000;
/** Framing around one tool call in a completion (id, type, brackets). */
export const TOKENS_PER_TOOL_CALL = 3;

/**
 * Loads the vocabulary. The import is dynamic because the vocabulary takes a few hundred
 * milliseconds to load, and only a stack that runs the offline model should pay for it.
 */
export async function loadTokenCounter(): Promise<TokenCounter> {
  const encoding = await import('gpt-tokenizer/encoding/o200k_base');
  // User text may contain strings like "<|endoftext|>": count them as text, never refuse them.
  const asText = { disallowedSpecial: new Set<string>() };
  // A conversation resends its earlier messages with every call: count each text once.
  const counted = new Map<string, number>();
  return {
    count: (text) => {
      if (!text) return 0;
      let tokens = counted.get(text);
      if (tokens === undefined) {
        tokens = encoding.countTokens(text, asText);
        if (counted.size >= COUNT_CACHE_ENTRIES) counted.clear();
        counted.set(text, tokens);
      }
      return tokens;
    },
    truncate: (text, maxTokens) => {
      const tokens = encoding.encode(text, asText);
      if (tokens.length <= maxTokens) return text;
      // Decoding a cut between the bytes of one character yields U+FFFD; drop that tail.
      return encoding.decode(tokens.slice(0, Math.max(0, maxTokens))).replace(/\uFFFD+$/, '');
    },
  };
}

/** Prompt tokens as OpenAI bills them for this request. */
export function countPromptTokens(counter: TokenCounter, request: ChatCompletionRequest): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) {
    total += TOKENS_PER_MESSAGE + counter.count(message.role) + counter.count(textOf(message.content));
    if ('name' in message && message.name) total += TOKENS_PER_NAME + counter.count(message.name);
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) {
        total += TOKENS_PER_TOOL_CALL + counter.count(call.function.name) + counter.count(call.function.arguments);
      }
    }
  }
  for (const tool of request.tools ?? []) {
    total += TOKENS_PER_TOOL + counter.count(JSON.stringify(tool.function));
  }
  return total;
}
