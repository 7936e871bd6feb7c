import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { storableIssueCode, storableKey, storableText, toStorableJson, toStorableText } from '../../src/domain/text/storable';

describe('toStorableText', () => {
  it('turns every NUL into U+FFFD and leaves every other character exactly', () => {
    expect(toStorableText('a\u0000b\u0000')).toBe('a\uFFFDb\uFFFD');
    const odd = 'x\u0001\u001f\u007f\uFFFF\t\n😀';
    expect(toStorableText(odd)).toBe(odd);
    expect(toStorableText('')).toBe('');
  });

  it('makes every string and key of a JSON value storable', () => {
    const value = { 'k\u0000': ['a\u0000', 1, null, { $op: 'b', 'x.y': true }], plain: 'ok' };
    expect(toStorableJson(value)).toEqual({ 'k\uFFFD': ['a\uFFFD', 1, null, { '\uFF04op': 'b', 'x\uFF0Ey': true }], plain: 'ok' });
    expect(toStorableJson('s\u0000')).toBe('s\uFFFD');
    expect(toStorableJson(5)).toBe(5);
  });
});

describe('storableText / storableKey', () => {
  it('refuse NUL as invalid_text and $ or dotted keys as invalid_key, accepting the rest', () => {
    const schema = z.object({ s: storableText(), r: z.record(storableKey(), storableText()) });
    expect(schema.safeParse({ s: 'a\u0001\uD800', r: { a$: 'b' } }).success).toBe(true);
    const codes = (input: unknown) => (schema.safeParse(input).error?.issues ?? []).map((issue) => storableIssueCode(issue));
    expect(codes({ s: 'a\u0000', r: {} })).toEqual(['invalid_text']);
    expect(codes({ s: 'a', r: { 'k\u0000': 'v' } })).toEqual(['invalid_text']);
    expect(codes({ s: 'a', r: { $k: 'v' } })).toEqual(['invalid_key']);
    expect(codes({ s: 'a', r: { 'a.b': 'v' } })).toEqual(['invalid_key']);
    expect(codes({ s: 'a', r: { k: 'v\u0000' } })).toEqual(['invalid_text']);
    expect(codes({ s: 1, r: {} })).toEqual([undefined]);
  });
});
