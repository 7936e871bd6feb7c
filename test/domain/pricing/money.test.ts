import { describe, expect, it } from 'vitest';
import { formatUsd, nanosToUsd, tokensCostNanos, usdToNanos } from '../../../src/domain/pricing';

describe('usdToNanos', () => {
  it('converts decimal strings and numbers exactly', () => {
    expect(usdToNanos('2.50')).toBe(2_500_000_000n);
    expect(usdToNanos(0.075)).toBe(75_000_000n);
    expect(usdToNanos('0.000000001')).toBe(1n);
    expect(usdToNanos('1e-9')).toBe(1n);
    expect(usdToNanos(1e-7)).toBe(100n);
    expect(usdToNanos(' 15 ')).toBe(15_000_000_000n);
    expect(usdToNanos('.5')).toBe(500_000_000n);
    expect(usdToNanos('0.10000000000')).toBe(100_000_000n);
    expect(usdToNanos('-0.25')).toBe(-250_000_000n);
    expect(usdToNanos(0)).toBe(0n);
  });

  it('refuses text that is not a decimal or is finer than a nano-dollar', () => {
    for (const bad of ['', '.', 'abc', '1,5', '$2', '1e-10', '0.0000000001', '1e999']) {
      expect(() => usdToNanos(bad), bad).toThrow(RangeError);
    }
    expect(() => usdToNanos(Number.NaN)).toThrow(RangeError);
    expect(() => usdToNanos(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    // 0.1 + 0.2 is 0.30000000000000004 as a float: more precision than a nano-dollar, so refused.
    expect(() => usdToNanos(0.1 + 0.2)).toThrow(/finer than a nano-dollar/);
  });
});

describe('tokensCostNanos', () => {
  it('rounds half-up once per component', () => {
    // $0.0005/M is half a nano-dollar per token.
    const half = usdToNanos('0.0005');
    expect(tokensCostNanos(1, half)).toBe(1n);
    expect(tokensCostNanos(2, half)).toBe(1n);
    expect(tokensCostNanos(3, half)).toBe(2n);
    expect(tokensCostNanos(0, half)).toBe(0n);
    expect(() => tokensCostNanos(-1, half)).toThrow(RangeError);
    expect(() => tokensCostNanos(1.5, half)).toThrow(RangeError);
  });
});

describe('display helpers', () => {
  it('formats exactly by default and rounds when asked', () => {
    expect(formatUsd(1_500_000_000)).toBe('$1.50');
    expect(formatUsd(75)).toBe('$0.000000075');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-250_000_000n)).toBe('-$0.25');
    expect(formatUsd(1_234_567_891, 2)).toBe('$1.23');
    expect(formatUsd(1_235_000_000, 2)).toBe('$1.24');
    expect(formatUsd(999_999_999, 0)).toBe('$1');
    expect(formatUsd(-4, 6)).toBe('$0.000000');
    expect(() => formatUsd(1.5)).toThrow(RangeError);
    expect(() => formatUsd(1, 10)).toThrow(RangeError);
  });

  it('converts to a float for display', () => {
    expect(nanosToUsd(1_500_000_000)).toBe(1.5);
    expect(nanosToUsd(25n)).toBeCloseTo(2.5e-8, 20);
  });
});
