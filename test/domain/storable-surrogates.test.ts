/**
 * Regression (found by the turn fuzzer, test/fuzz/turn-fuzz.test.ts): a model's answer with a lone
 * surrogate reached the live stream and the POST's reply as is (JSON carries it as an escape) while
 * the store kept U+FFFD (UTF-8 has no form for it), so the deltas differed from the stored reply.
 * `toStorableText` now makes it U+FFFD where the text comes in, as it does NUL.
 */
import { describe, expect, it } from 'vitest';
import { toStorableJson, toStorableText } from '../../src/domain/text/storable';

describe('toStorableText and lone surrogates', () => {
  it('turns every lone surrogate into U+FFFD and keeps every pair', () => {
    expect(toStorableText('a\uD800b')).toBe('a\uFFFDb');
    expect(toStorableText('\uDC00')).toBe('\uFFFD');
    expect(toStorableText('end\uDBFF')).toBe('end\uFFFD');
    // Reversed: a low then a high surrogate are two lone halves.
    expect(toStorableText('\uDC00\uD800')).toBe('\uFFFD\uFFFD');
    expect(toStorableText('\uD800\uD800\uDC00')).toBe('\uFFFD\uD800\uDC00');
    const pairs = '😀 \uD83D\uDE00 𝕏 🏴󠁧󠁢󠁳󠁣󠁴󠁿 \uDBFF\uDFFF';
    expect(toStorableText(pairs)).toBe(pairs);
    expect(toStorableText('x\u0000\uD800')).toBe('x\uFFFD\uFFFD');
  });

  it('gives what a UTF-8 store returns, for any text', () => {
    const odd = 'a\uD800\uDC00\uDC00\uD83D b\u0001\uDFFF😀\uD800';
    expect(toStorableText(odd)).toBe(Buffer.from(odd, 'utf8').toString('utf8'));
  });

  it('applies to every string and key of a JSON value', () => {
    expect(toStorableJson({ 'k\uD800': ['v\uDC00'] })).toEqual({ 'k\uFFFD': ['v\uFFFD'] });
  });
});
