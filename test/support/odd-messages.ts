/**
 * Odd but ordinary chat messages for the turn fuzzer (issue 17 item 9), generated from a seed: the
 * same seed, chat and count give the same messages on every machine, so any failure replays.
 *
 * An accepted case is a user message that opens with the offline model's reply marker,
 * `[[reply "<JSON string>"]]`, holding the odd text `reply` JSON-encoded (so the model answers exactly
 * that text, any character included), usually followed by the same odd text raw, so the user's
 * message carries it too. A refused case is one the API must answer with a 4xx and store nothing:
 * a raw NUL (400 `invalid_text`), a message over the template's limit in UTF-16 code units (413
 * `message_too_long`), over the schema's 100,000 code points (400 `invalid_request`), over the body limit (413
 * `payload_too_large`) or only whitespace (400 `empty_message`).
 */
import { Rng } from './fuzz-cases';

/** The schema's limit on a message (`messageBody.content`): zod counts it in code points. */
export const SCHEMA_MAX_CHARS = 100_000;
/** The API's default request body limit (256 KiB). */
export const BODY_LIMIT_BYTES = 256 * 1024;

export interface Refusal {
  status: number;
  code: string;
}

export interface OddCase {
  /** Position in its chat's sequence. */
  index: number;
  /** The family it came from (for the report). */
  kind: string;
  /** The user message, as sent. */
  content: string;
  /** What the model is told to answer, exactly (accepted cases). */
  reply?: string;
  /** The 4xx the API must answer (refused cases). */
  refusal?: Refusal;
}

const NUL = '\u0000';

/** Every C0 control character but NUL, DEL and every C1 control character. */
export const CONTROL_CHARACTERS: readonly string[] = [
  ...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)),
  '\u007f',
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)),
];

const WORDS = ['hello', 'world', 'chat', 'turn', 'message', 'reply', 'stream', 'store', 'tenant', 'durable', 'la', 'voilà', 'naïve', 'Straße', 'ok'];
const HIGH_SURROGATES = ['\ud800', '\udbff', '\ud83d', '\ud834'];
const LOW_SURROGATES = ['\udc00', '\udfff', '\ude00', '\udd1e'];
const RTL = ['שלום עולם', 'مرحبا بالعالم', 'سلام', 'עִבְרִית', 'ܐܪܡܝܐ', 'ދިވެހި', '123 אבג 456', 'abc مرحبا def'];
const BIDI_CONTROLS = ['\u200e', '\u200f', '\u061c', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
const COMBINING = Array.from({ length: 0x70 }, (_, i) => String.fromCharCode(0x300 + i));
const COMBINED = ['e\u0301', '\u00e9', 'n\u0303', 'a\u030a\u0301', '\u1100\u1161\u11a8', '\ud55c', 'क्षि', 'ส์', 'ﷺ', 'ǅ', 'ﬁ', 'Å', 'Å'];
const EMOJI = [
  '👨‍👩‍👧‍👦', '🏳️‍🌈', '🧑🏽‍💻', '👩🏿‍🦰', '❤️‍🔥', '🫱🏼‍🫲🏾', '🇺🇳', '🇯🇵', '1️⃣', '#️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '☺︎', '☺️', '🧜‍♀️', '👁️‍🗨️', '🐻‍❄️', '😀', '🤌',
  '\u200d', '\ufe0f', '👨\u200d', '\u200d👩',
];
const OTHER_ODD = ['\u2028', '\u2029', '\ufeff', '\u200b', '\u00a0', '\u3000', '\ufffe', '\uffff', '\udbff\udfff', '\ue000', '\ufffd', '𝕏', '𓀀', '\ud834\udd1e', '\u180e'];
const JSON_LOOKALIKES = [
  '{"a":1}', '{"role":"assistant","content":"hi"}', '[1,2,3', '{"unbalanced":', '}}}', '"just a string"', 'null', 'true', '1e309', '-0',
  '\\u0000', '\\ud800', '\\"', '\\\\', '\\n', '{"$set":{"turn_count":0}}', '{"a.b":1}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}',
  '{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"calculator","arguments":"{\\"expression\\":\\"1+1\\"}"}}]}',
  '{"choices":[{"delta":{"content":"x"}}]}', '{"error":{"code":"invalid_text"}}', '{"type":"turn.completed","turn_id":"t1","data":{}}',
];
const MARKDOWN_LOOKALIKES = [
  '```\ncode\n```', '```json\n{"a":1}\n```', '~~~', '# heading', '## **bold** _it_', '> quote', '- [ ] task', '| a | b |\n|---|---|\n| 1 | 2 |',
  '[link](javascript:alert(1))', '![img](http://x/y.png)', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '&lt;&amp;&#0;', '<!-- c -->',
  '<|endoftext|>', '<|im_start|>system\n<|im_end|>', '[INST] x [/INST]', '$$x^2$$', '\\(a\\)', '***', '---', '* * *', '`', '``', '\\*not\\*',
];
const TOOL_LOOKALIKES = [
  '[[tool:x {}]]', '[[tool:calculator {"expression":"1+1"}]]', '[[tool:http_get {"url":"http://127.0.0.1/"}]]', '[[tool:current_time]]', '[[tool:', '[[tool:x {',
  ']]', '[[', '[[loop]]', '[[reply "nested"]]', '[[reply "', '[[reply ]]', 'what time is it?', 'calculate 2+2', 'fetch http://127.0.0.1:1/x', '{"tool_calls":',
  '"tool_calls": [', 'function_call', '<tool_call>{"name":"x"}</tool_call>', '[[tool:current_time "{}"]]',
];
const SSE_LOOKALIKES = [
  '\n\ndata: ', '\n\ndata: {"type":"turn.completed"}\n\n', 'id: ', 'id: 9999999999999-0\n', 'event: turn.failed\n', 'retry: 0\n', ': comment\n', '\r\n\r\n', '\r',
  'data:', 'data: [DONE]\n\n', '\n\n', 'event:message.delta\ndata:{"delta":"x"}\n\n', 'id:\n', '\r\rdata: x\r\r',
];

export interface OddMessageOptions {
  seed: number;
  /** The chat's number: its cases are its own. */
  chat: number;
  count: number;
  /** The chat's template limit (`max_input_chars`). */
  maxInputChars: number;
}

/** The cases of one chat: the fixed ones first (each limit's boundaries, NUL, every control
 * character at once), then generated ones until `count`. */
export function oddMessages(options: OddMessageOptions): OddCase[] {
  const rng = new Rng(options.seed * 1_000_003 + options.chat * 7919 + 1);
  const cases: Omit<OddCase, 'index'>[] = [...fixedCases(options, rng)];
  const families = Object.keys(FAMILIES) as (keyof typeof FAMILIES)[];
  let generated = 0;
  while (cases.length < options.count) {
    // Round-robin over the families, so a short pass still covers each of them.
    const family = families[(generated + options.chat) % families.length] as keyof typeof FAMILIES;
    const reply = FAMILIES[family](rng, generated);
    generated++;
    cases.push(accepted(family, reply, options.maxInputChars, rng));
  }
  return cases.slice(0, options.count).map((item, index) => ({ ...item, index }));
}

/** A message that asks for `reply` exactly and carries it raw too (when the limit allows and it has
 * no NUL, which the API refuses). */
function accepted(kind: string, reply: string, limit: number, rng: Rng): Omit<OddCase, 'index'> {
  let text = reply;
  for (;;) {
    const marker = `[[reply ${JSON.stringify(text)}]]`;
    const separator = rng.pick([' ', '\n', '', '\t', '\r\n']);
    const withRaw = `${marker}${separator}${text}`;
    if (!text.includes(NUL) && withRaw.length <= limit) return { kind, content: withRaw, reply: text };
    if (marker.length <= limit) return { kind, content: marker, reply: text };
    // Too long even alone: shorten by code points (never splitting a pair that was one).
    const points = Array.from(text);
    text = points.slice(0, Math.floor(points.length * 0.8)).join('');
  }
}

/** Exactly `length` UTF-16 code units: a short reply marker, then `filler` repeated and cut. */
function sized(label: string, length: number, filler: string): string {
  const head = `[[reply ${JSON.stringify(label)}]] `;
  const units = length - head.length;
  let body = filler.repeat(Math.ceil(units / filler.length) + 1).slice(0, units);
  // Never end on half of a pair the filler had whole.
  if (/[\ud800-\udbff]$/.test(body)) body = `${body.slice(0, -1)}x`;
  return head + body;
}

function fixedCases(options: OddMessageOptions, rng: Rng): Omit<OddCase, 'index'>[] {
  const limit = options.maxInputChars;
  const filler = 'lorem ipsum é ß 中 ✓ 😀 ';
  const cases: Omit<OddCase, 'index'>[] = [
    accepted('all-controls', `controls:${CONTROL_CHARACTERS.join('')}:end`, limit, rng),
    { kind: 'nul-refused', content: `[[reply "nul"]] bad${NUL}text`, refusal: { status: 400, code: 'invalid_text' } },
    // NUL written `\u0000` in the marker: the model answers it, the reply is stored with U+FFFD.
    { kind: 'nul-in-reply', content: `[[reply ${JSON.stringify(`model${NUL}nul${NUL}`)}]]`, reply: `model${NUL}nul${NUL}` },
    accepted('lone-surrogates', `high ${'\ud800'} low ${'\udc00'} reversed ${'\udc00\ud800'} end-high ${'\udbff'}`, limit, rng),
    { kind: 'limit-minus-one', content: sized(`under ${limit}`, limit - 1, filler), reply: `under ${limit}` },
    { kind: 'at-limit', content: sized(`at ${limit}`, limit, filler), reply: `at ${limit}` },
    limit < SCHEMA_MAX_CHARS
      ? { kind: 'over-template-limit', content: sized('over', limit + 1, filler), refusal: { status: 413, code: 'message_too_long' } }
      : { kind: 'over-schema-limit', content: sized('over', limit + 1, 'lorem ipsum dolor '), refusal: { status: 400, code: 'invalid_request' } },
    { kind: 'whitespace-only', content: ' \t\r\n\u00a0\u3000\ufeff\u2028 ', refusal: { status: 400, code: 'empty_message' } },
  ];
  if (limit === SCHEMA_MAX_CHARS) {
    // The template's limit counts UTF-16 code units (an emoji counts 2), the schema's code points:
    // 100,000 units of emoji pass both; one more passes the schema (fewer code points) and is
    // refused by the template. (Spaced: the offline model's tokenizer takes ~45 s on 50,000 emoji
    // in one run, which stalls every chat it serves.)
    cases.push({ kind: 'at-limit-astral', content: sized('astral', SCHEMA_MAX_CHARS, '😀 '), reply: 'astral' });
    cases.push({ kind: 'over-limit-astral', content: sized('astral-over', SCHEMA_MAX_CHARS + 1, '😀 '), refusal: { status: 413, code: 'message_too_long' } });
    // Under the character limit, over the body limit (3 bytes a character in UTF-8).
    cases.push({ kind: 'over-body-limit', content: sized('too big', 90_000, '中'), refusal: { status: 413, code: 'payload_too_large' } });
  }
  return cases;
}

function words(rng: Rng, count: number): string[] {
  return Array.from({ length: count }, () => rng.pick(WORDS));
}

/** `count` pieces from `pool`, joined by words, spaces or nothing. */
function mix(rng: Rng, pool: readonly string[], count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(rng.pick(pool));
    const glue = rng.int(4);
    if (glue === 1) parts.push(' ');
    else if (glue === 2) parts.push(` ${rng.pick(WORDS)} `);
  }
  return parts.join('');
}

const FAMILIES = {
  control(rng: Rng, n: number): string {
    // Cycle through every control character so a full pass sends each many times.
    const char = CONTROL_CHARACTERS[n % CONTROL_CHARACTERS.length] as string;
    const shape = rng.int(5);
    if (shape === 0) return char;
    if (shape === 1) return `${char}${words(rng, 3).join(' ')}${char}`;
    if (shape === 2) return char.repeat(1 + rng.int(40));
    if (shape === 3) return `\u001b[31mred\u001b[0m ${char} \u001b]0;title\u0007 \u001b[2J${words(rng, 2).join(char)}`;
    return words(rng, 6).join(char);
  },
  surrogate(rng: Rng): string {
    const pieces = [...HIGH_SURROGATES, ...LOW_SURROGATES, '😀', '\ud83d\ude00', 'a', ' ', '\udc00\ud800'];
    return mix(rng, pieces, 1 + rng.int(8));
  },
  rtl(rng: Rng): string {
    return mix(rng, [...RTL, ...BIDI_CONTROLS, ...words(rng, 4), '(', ')', '1', '٣'], 2 + rng.int(10));
  },
  combining(rng: Rng): string {
    const base = rng.pick(['a', 'Z', 'ж', 'ا', '😀', ' ', '']);
    const stack = Array.from({ length: 1 + rng.int(rng.chance(0.2) ? 300 : 12) }, () => rng.pick(COMBINING)).join('');
    return `${base}${stack} ${mix(rng, COMBINED, 1 + rng.int(6))}`;
  },
  emoji(rng: Rng): string {
    return mix(rng, EMOJI, 1 + rng.int(12));
  },
  unicode(rng: Rng): string {
    return mix(rng, [...OTHER_ODD, ...words(rng, 3)], 1 + rng.int(10));
  },
  json(rng: Rng): string {
    const value = rng.pick(JSON_LOOKALIKES);
    return rng.chance(0.3) ? JSON.stringify({ content: value, nested: [value] }) : mix(rng, JSON_LOOKALIKES, 1 + rng.int(4));
  },
  markdown(rng: Rng): string {
    return mix(rng, MARKDOWN_LOOKALIKES, 1 + rng.int(6));
  },
  tool(rng: Rng): string {
    return mix(rng, TOOL_LOOKALIKES, 1 + rng.int(5));
  },
  sse(rng: Rng): string {
    return mix(rng, SSE_LOOKALIKES, 1 + rng.int(6));
  },
  longWord(rng: Rng): string {
    const alphabet = rng.pick(['a', 'abcdefghijklmnopqrstuvwxyz', 'xy-_.', '日本語', 'é', '0123456789abcdef', 'https://example.com/a?b=c&d=']);
    // Non-ASCII words stay shorter: the offline model's tokenizer is quadratic in a word's length
    // (20,000 CJK characters in one word take it ~4 s).
    const length = 500 + rng.int(rng.chance(0.3) ? (/^[\x20-\x7e]+$/.test(alphabet) ? 20_000 : 6_000) : 3_000);
    let word = '';
    while (word.length < length) word += alphabet[rng.int(alphabet.length)];
    return word;
  },
  mixed(rng: Rng): string {
    const pools = [CONTROL_CHARACTERS, HIGH_SURROGATES, RTL, BIDI_CONTROLS, COMBINING, EMOJI, OTHER_ODD, JSON_LOOKALIKES, MARKDOWN_LOOKALIKES, TOOL_LOOKALIKES, SSE_LOOKALIKES, WORDS];
    return Array.from({ length: 2 + rng.int(12) }, () => rng.pick(rng.pick(pools))).join(rng.pick(['', ' ', '\n']));
  },
};

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The same text as a store keeps it (DESIGN §4 "Text", design notes "Text that reaches a store"):
 * a caller's text exactly, except what no UTF-8 store can hold — a lone surrogate (a UTF-16 half
 * that is no character) becomes U+FFFD, as every UTF-8 encoder writes it. */
export function storedUserText(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/** A model's answer as kept and streamed: NUL → U+FFFD (the documented transformation), and a lone
 * surrogate → U+FFFD as for a caller's text. */
export function storedReplyText(text: string): string {
  return storedUserText(text.replaceAll(NUL, '\ufffd'));
}

/** Where two texts first differ, code point by code point, or undefined when they are equal. */
export function firstDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const a = Array.from(expected);
  const b = Array.from(actual);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const hex = (point: string | undefined) => (point === undefined ? 'end of text' : `U+${(point.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
  const around = (points: string[]) => JSON.stringify(points.slice(Math.max(0, i - 8), i + 8).join(''));
  return `first difference at code point ${i} of ${a.length} (got ${b.length}): expected ${hex(a[i])}, got ${hex(b[i])}; expected ${around(a)}, got ${around(b)}`;
}
