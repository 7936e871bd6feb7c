import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError } from '../../../src/domain/audit';

describe('canonicalJson', () => {
  it('sorts object keys recursively and keeps array order', () => {
    const a = { b: 1, a: { y: [3, { d: 1, c: 2 }], x: 'x' } };
    const b = { a: { x: 'x', y: [3, { c: 2, d: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"x":"x","y":[3,{"c":2,"d":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('writes scalars as JSON does', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson('a"b\n\u2028é')).toBe(JSON.stringify('a"b\n\u2028é'));
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
  });

  it('omits undefined object members, as a JSON or MongoDB round trip would', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('sorts keys by code unit, independent of insertion order', () => {
    const keys = ['b', 'B', 'a', '_', '10', '9', 'é', 'aa'];
    const forward = Object.fromEntries(keys.map((key) => [key, key]));
    const backward = Object.fromEntries([...keys].reverse().map((key) => [key, key]));
    expect(canonicalJson(forward)).toBe(canonicalJson(backward));
    expect(Object.keys(JSON.parse(canonicalJson(forward)) as object)).toEqual(
      // Integer-like keys come first in any JS object, so compare the text order instead.
      expect.arrayContaining(keys),
    );
    expect(canonicalJson(forward).indexOf('"10"')).toBeLessThan(canonicalJson(forward).indexOf('"9"'));
    expect(canonicalJson(forward).indexOf('"B"')).toBeLessThan(canonicalJson(forward).indexOf('"a"'));
  });

  it.each([
    ['NaN', { a: Number.NaN }],
    ['Infinity', [1, Number.POSITIVE_INFINITY]],
    ['undefined in an array', [1, undefined]],
    ['undefined at the top', undefined],
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    ['a bigint', { n: 1n }],
    ['a Date', { d: new Date(0) }],
    ['a Map', new Map()],
  ])('rejects %s', (_what, value) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
  });

  it('names where the bad value is', () => {
    expect(() => canonicalJson({ a: [{ b: Number.NaN }] })).toThrow('non-finite number NaN at $.a[0].b');
  });

  it('rejects cycles but not shared references', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow('circular reference');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.z = 1;
    bare.a = 2;
    expect(canonicalJson(bare)).toBe('{"a":2,"z":1}');
  });
});
