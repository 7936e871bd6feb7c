/**
 * What the offline model answers: a pure function of the request. Text replies quote the start
 * of the last user message and add a few sentences chosen by a hash of the conversation, so
 * their length varies like a real model's; tool calls follow the convention in tools.ts.
 */
import { hashOf, SeededRandom } from './hash';
import type { ChatCompletionRequest, ChatMessage } from './schema';
import { completionTokenLimit, textOf } from './schema';
import { TOKENS_PER_TOOL_CALL, type TokenCounter } from './tokens';
import { endOfString, lastUserText, parseJsonString, planToolCalls, type PlannedToolCall } from './tools';

export interface ToolCallReply extends PlannedToolCall {
  id: string;
}

export type ModelTurn =
  | { kind: 'text'; content: string; finishReason: 'stop' | 'length'; completionTokens: number }
  | { kind: 'tool_calls'; toolCalls: ToolCallReply[]; finishReason: 'tool_calls' | 'length'; completionTokens: number };

const QUOTED_WORDS = 12;
const TOOL_RESULT_CHARS = 160;

const OPENERS = ['In short,', 'Put simply,', 'As a first step,', 'On balance,', 'For now,', 'In practice,', 'Broadly speaking,', 'To be precise,'];
const SUBJECTS = ['the plan', 'this approach', 'the request', 'a careful answer', 'the offline model', 'each step', 'the result', 'the workflow'];
const VERBS = ['depends on', 'points toward', 'keeps track of', 'builds on', 'leaves room for', 'comes down to', 'lines up with', 'makes the case for'];
const OBJECTS = ['the details you gave', 'a simple next step', 'clear trade-offs', 'what matters most here', 'a deterministic outcome', 'the context so far', 'a short summary', 'a second look later'];

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function sentence(random: SeededRandom): string {
  const clause = `${random.pick(SUBJECTS)} ${random.pick(VERBS)} ${random.pick(OBJECTS)}.`;
  return random.next() < 0.5 ? `${random.pick(OPENERS)} ${clause}` : capitalize(clause);
}

function sentences(random: SeededRandom, min: number, max: number): string {
  return Array.from({ length: random.int(min, max) }, () => sentence(random)).join(' ');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function quoteStart(text: string | undefined): string {
  if (text === undefined) return '(no user message)';
  const words = oneLine(text).split(' ').filter(Boolean);
  if (!words.length) return '(empty message)';
  return words.slice(0, QUOTED_WORDS).join(' ') + (words.length > QUOTED_WORDS ? ' ...' : '');
}

/** The `tool` messages at the end of the conversation: the results that just came back. */
function trailingToolResults(messages: readonly ChatMessage[]): string | undefined {
  let first = messages.length;
  while (first > 0 && messages[first - 1]?.role === 'tool') first--;
  if (first === messages.length) return undefined;
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
  }
  const results = messages.slice(first).map((message) => {
    const name = message.role === 'tool' ? (toolNames.get(message.tool_call_id) ?? message.tool_call_id) : 'tool';
    const text = oneLine(textOf(message.content));
    const snippet = text.length > TOOL_RESULT_CHARS ? `${text.slice(0, TOOL_RESULT_CHARS)}...` : text;
    return `${name}: ${snippet || '(empty)'}`;
  });
  return `Tool results: ${results.join('; ')}`;
}

function textTurn(content: string, limit: number | undefined, counter: TokenCounter): ModelTurn {
  const tokens = counter.count(content);
  if (limit === undefined || tokens <= limit) return { kind: 'text', content, finishReason: 'stop', completionTokens: tokens };
  const cut = counter.truncate(content, limit);
  return { kind: 'text', content: cut, finishReason: 'length', completionTokens: Math.min(limit, counter.count(cut)) };
}

/** Tool calls up to the token limit; the call that crosses it is cut mid-arguments, as OpenAI does. */
function toolCallTurn(calls: ToolCallReply[], limit: number | undefined, counter: TokenCounter): ModelTurn {
  const kept: ToolCallReply[] = [];
  let used = 0;
  for (const call of calls) {
    const framing = TOKENS_PER_TOOL_CALL + counter.count(call.name);
    const argumentTokens = counter.count(call.arguments);
    if (limit !== undefined && used + framing + argumentTokens > limit) {
      const room = limit - used - framing;
      if (room > 0) {
        kept.push({ ...call, arguments: counter.truncate(call.arguments, room) });
        used += framing + counter.count(kept.at(-1)?.arguments ?? '');
      }
      return { kind: 'tool_calls', toolCalls: kept, finishReason: 'length', completionTokens: Math.min(limit, used) };
    }
    kept.push(call);
    used += framing + argumentTokens;
  }
  return { kind: 'tool_calls', toolCalls: kept, finishReason: 'tool_calls', completionTokens: used };
}

const REPLY_MARKER = '[[reply ';

/** `[[reply "json string"]]` in the last user message: the text answer is exactly that string's
 * value (any character, NUL included, written `\u0000`), before and after tool results. */
export function scriptedReply(text: string | undefined): string | undefined {
  const start = text?.indexOf(REPLY_MARKER) ?? -1;
  if (text === undefined || start === -1) return undefined;
  const at = start + REPLY_MARKER.length;
  if (text[at] !== '"') return undefined;
  const end = endOfString(text, at);
  if (end === -1 || !text.startsWith(']]', end)) return undefined;
  return parseJsonString(text.slice(at, end));
}

/** The conversation's fingerprint: what the reply may depend on (not stream or limit settings). */
export function conversationHash(request: ChatCompletionRequest): string {
  return hashOf({ messages: request.messages, seed: request.seed ?? null });
}

export function composeTurn(request: ChatCompletionRequest, counter: TokenCounter): ModelTurn {
  const conversation = conversationHash(request);
  const limit = completionTokenLimit(request);
  const planned = planToolCalls(request);
  if (planned.length) {
    const calls = planned.map((call, index) => ({ ...call, id: `call_${hashOf({ conversation, index, call }).slice(0, 24)}` }));
    return toolCallTurn(calls, limit, counter);
  }
  const scripted = scriptedReply(lastUserText(request));
  if (scripted !== undefined) return textTurn(scripted, limit, counter);
  const random = new SeededRandom(conversation);
  const toolResults = trailingToolResults(request.messages);
  const content = toolResults
    ? `${toolResults}\n\n${sentences(random, 1, 2)}`
    : `Offline reply to: ${quoteStart(lastUserText(request))}\n\n${sentences(random, 1, 6)}`;
  return textTurn(content, limit, counter);
}
