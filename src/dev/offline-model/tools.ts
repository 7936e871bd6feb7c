/**
 * When the offline model calls tools, and which. The convention (documented in index.ts):
 *
 * - `[[tool:NAME {json args}]]` markers in the last user message call NAME (if offered) with those
 *   arguments; several markers make parallel calls. Arguments that are not valid JSON are passed
 *   through verbatim, so a runtime's handling of malformed arguments can be tested.
 *   `[[tool:NAME "json string"]]` passes the string's value as the arguments, exactly: arguments
 *   with any character (NUL included, written `\u0000`) can be tested.
 * - Without markers, natural triggers: "what time" → `current_time`, "calculate/compute <expr>"
 *   → `calculator {expression}`, "fetch" plus an http(s) URL → `http_get {url}` (each if offered).
 * - Once tool results came back (the last message is a `tool` message), the model answers in
 *   text, unless the last user message holds `[[loop]]`: then it calls a tool every time.
 * - `tool_choice: "none"` disables calls; `"required"` or a named function forces one.
 */
import type { ChatCompletionRequest } from './schema';
import { textOf } from './schema';

export interface PlannedToolCall {
  name: string;
  /** JSON text, as OpenAI sends it (normally valid JSON, not always). */
  arguments: string;
}

export const LOOP_MARKER = '[[loop]]';

const MARKER_START = /\[\[tool:([a-zA-Z0-9_-]{1,64})/g;

/** Index just past the `}` closing the object that opens at `start`, or -1 if it never closes. */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Index just past the `"` closing the JSON string that opens at `start`, or -1. */
export function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

/** The value of a JSON string literal, or undefined when it is not one. */
export function parseJsonString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Valid JSON is re-rendered compactly (as a model emits it); anything else passes verbatim. */
function normalizeArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/** Every well-formed `[[tool:NAME {args}]]` marker in the text, in order. */
export function parseToolMarkers(text: string): PlannedToolCall[] {
  const calls: PlannedToolCall[] = [];
  for (const match of text.matchAll(MARKER_START)) {
    const name = match[1];
    if (name === undefined) continue;
    let at = match.index + match[0].length;
    while (/\s/.test(text[at] ?? '')) at++;
    let args = '{}';
    if (text[at] === '"') {
      const end = endOfString(text, at);
      const value = end === -1 ? undefined : parseJsonString(text.slice(at, end));
      if (value === undefined) continue;
      args = value;
      at = end;
      while (/\s/.test(text[at] ?? '')) at++;
    } else if (text[at] === '{') {
      const end = endOfObject(text, at);
      if (end === -1) continue;
      args = normalizeArguments(text.slice(at, end));
      at = end;
      while (/\s/.test(text[at] ?? '')) at++;
    }
    if (text.startsWith(']]', at)) calls.push({ name, arguments: args });
  }
  return calls;
}

/** Tool calls implied by plain language, for the tools that are offered. */
export function naturalToolCalls(text: string, offered: ReadonlySet<string>): PlannedToolCall[] {
  const calls: PlannedToolCall[] = [];
  if (offered.has('current_time') && /\bwhat time\b/i.test(text)) {
    calls.push({ name: 'current_time', arguments: '{}' });
  }
  const expression = /\b(?:calculate|compute)\s+([^\n]+)/i.exec(text)?.[1]?.replace(/[\s?!.]+$/, '').trim();
  if (offered.has('calculator') && expression) {
    calls.push({ name: 'calculator', arguments: JSON.stringify({ expression }) });
  }
  if (offered.has('http_get') && /\bfetch\b/i.test(text)) {
    const urls = new Set(Array.from(text.matchAll(/https?:\/\/[^\s<>"'`)\]]+/gi), (m) => m[0].replace(/[.,;:!?]+$/, '')));
    for (const url of urls) calls.push({ name: 'http_get', arguments: JSON.stringify({ url }) });
  }
  return calls;
}

/** Markers win over natural triggers; only offered tools are ever called. */
function requestedToolCalls(text: string, offered: ReadonlySet<string>): PlannedToolCall[] {
  const marked = parseToolMarkers(text).filter((call) => offered.has(call.name));
  return marked.length ? marked : naturalToolCalls(text, offered);
}

export function lastUserText(request: ChatCompletionRequest): string | undefined {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === 'user') return textOf(message.content);
  }
  return undefined;
}

/** The tool calls this turn makes; empty means the model answers in text. */
export function planToolCalls(request: ChatCompletionRequest): PlannedToolCall[] {
  const names = (request.tools ?? []).map((tool) => tool.function.name);
  const firstName = names[0];
  const choice = request.tool_choice;
  if (firstName === undefined || choice === 'none') return [];
  const userText = lastUserText(request) ?? '';
  const wanted = requestedToolCalls(userText, new Set(names));
  if (typeof choice === 'object') {
    const forced = wanted.filter((call) => call.name === choice.function.name);
    return forced.length ? forced : [{ name: choice.function.name, arguments: '{}' }];
  }
  if (choice === 'required' || userText.includes(LOOP_MARKER)) {
    return wanted.length ? wanted : [{ name: firstName, arguments: '{}' }];
  }
  const toolResultsCameBack = request.messages.at(-1)?.role === 'tool';
  return toolResultsCameBack ? [] : wanted;
}
