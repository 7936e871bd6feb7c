/**
 * Text the stores can hold (DESIGN §4 "Text"). PostgreSQL — under FerretDB — cannot hold NUL
 * (U+0000) in text (SQLSTATE 22P05), and a document key that starts with `$` or contains `.` is
 * refused by MongoDB. Every other character, control characters included, is stored and returned
 * exactly — but a lone surrogate (a UTF-16 half that is no character) has no UTF-8 form, so a
 * store keeps it as U+FFFD.
 *
 * - Text from callers is refused at the edge: `storableText()` / `storableKey()` are the zod rules
 *   (they show as a JSON-schema `pattern` in the OpenAPI document), and the API answers a breach
 *   with 400 `invalid_text` / `invalid_key` (`storableIssueCode`).
 * - Text from models, tools and fetched pages cannot be refused, so it is made storable by one
 *   transformation: every NUL becomes U+FFFD (REPLACEMENT CHARACTER), and so does every lone
 *   surrogate (as the store would write it, so the stream, the reply and the store agree) —
 *   `toStorableText`, and `toStorableJson` for every string and key of a JSON value.
 */
import { z } from 'zod';

/** No NUL anywhere. */
export const STORABLE_TEXT_PATTERN = /^[^\u0000]*$/;
/** A document key: not `$`-prefixed, no `.` (NUL is refused by `STORABLE_TEXT_PATTERN`). */
export const STORABLE_KEY_PATTERN = /^(?!\$)[^.]*$/;

export const NUL_MESSAGE = 'must not contain NUL (U+0000)';
export const KEY_MESSAGE = 'must not start with $ or contain .';

/** A string a store can hold: NUL is refused (400 `invalid_text`). */
export function storableText() {
  return z.string().regex(STORABLE_TEXT_PATTERN, NUL_MESSAGE);
}

/** A key of a caller's free-form object: NUL refused (`invalid_text`), `$…` and `.` refused (`invalid_key`). */
export function storableKey() {
  return storableText().regex(STORABLE_KEY_PATTERN, KEY_MESSAGE);
}

interface IssueLike {
  keyword?: string;
  code?: string;
  params?: Record<string, unknown>;
  pattern?: unknown;
  issues?: unknown;
}

/** The API error code of a validation issue that breaks a storable-text rule, or undefined. Takes a
 * zod issue or the issue fastify-type-provider-zod makes of it (`keyword`, `params`). */
export function storableIssueCode(issue: IssueLike): 'invalid_text' | 'invalid_key' | undefined {
  const code = issue.keyword ?? issue.code;
  const fields: Record<string, unknown> = { ...(issue.params ?? {}), ...issue };
  if (code === 'invalid_format' && fields.format === 'regex') {
    if (fields.pattern === String(STORABLE_TEXT_PATTERN)) return 'invalid_text';
    if (fields.pattern === String(STORABLE_KEY_PATTERN)) return 'invalid_key';
    return undefined;
  }
  if (code === 'invalid_key' && Array.isArray(fields.issues)) {
    for (const inner of fields.issues as IssueLike[]) {
      const found = storableIssueCode(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

const NUL_ALL = /\u0000/g;
export const REPLACEMENT_CHARACTER = '\uFFFD';

const SURROGATE = /[\uD800-\uDFFF]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE_ALL = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The documented transformation for text the runtime did not get from a caller: NUL → U+FFFD, and
 * a lone surrogate → U+FFFD (what a store's UTF-8 would make of it anyway; before this, the stream
 * and the returned reply carried it while the store kept U+FFFD). Everything else is unchanged. */
export function toStorableText(text: string): string {
  const noNul = text.includes('\u0000') ? text.replace(NUL_ALL, REPLACEMENT_CHARACTER) : text;
  return SURROGATE.test(noNul) ? noNul.replace(LONE_SURROGATE_ALL, REPLACEMENT_CHARACTER) : noNul;
}

/** `toStorableText` on every string of a JSON value, object keys included: a key that would still
 * be refused (`$…`, containing `.`) gets its `$` → U+FF04 and `.` → U+FF0E (full-width forms). */
export function toStorableJson<T>(value: T): T {
  return deep(value) as T;
}

function deep(value: unknown): unknown {
  if (typeof value === 'string') return toStorableText(value);
  if (Array.isArray(value)) return value.map(deep);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[storableKeyOf(key)] = deep(inner);
    return out;
  }
  return value;
}

function storableKeyOf(key: string): string {
  const text = toStorableText(key);
  if (STORABLE_KEY_PATTERN.test(text)) return text;
  return text.replace(/^\$/, '\uFF04').replace(/\./g, '\uFF0E');
}
