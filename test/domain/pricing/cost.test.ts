import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRICE_BOOK,
  PRICE_TABLE_VERSION,
  computeCost,
  type CostResult,
  type PricedCost,
  type TokenUsage,
} from '../../../src/domain/pricing';

const book = DEFAULT_PRICE_BOOK;

function priced(result: CostResult): PricedCost {
  if (!result.priced) throw new Error(`expected a priced result, got ${JSON.stringify(result)}`);
  return result;
}

function cost(model: string, usage: TokenUsage, at: Date | string = '2026-11-01T12:00:00Z'): PricedCost {
  return priced(computeCost(book, { model, at, usage }));
}

describe('computeCost', () => {
  it('prices o3 at the rate in effect on the call date (2025-06-10 cut)', () => {
    const usage = { input_tokens: 1000, output_tokens: 500 };
    const before = cost('o3', usage, '2025-06-09T23:59:59Z');
    // The source has no launch dates: the pre-cut price is its undated base, effective from 2020-01-01.
    expect(before.effective_from).toBe('2020-01-01');
    expect(before.cost_nanos).toEqual({ input: 10_000_000, cached_input: 0, cache_write: 0, output: 20_000_000, total: 30_000_000 });
    const after = cost('o3', usage, '2025-06-10');
    expect(after.effective_from).toBe('2025-06-10');
    expect(after.cost_nanos).toEqual({ input: 2_000_000, cached_input: 0, cache_write: 0, output: 4_000_000, total: 6_000_000 });
    expect(cost('o3-2025-04-16', usage, new Date('2025-07-01T00:00:00Z')).cost_nanos.total).toBe(6_000_000);
  });

  it('prices dated and prefixed names as their base model', () => {
    const dated = cost('gpt-4o-2024-08-06', { input_tokens: 1_000_000, output_tokens: 1_000_000 });
    expect(dated.model).toBe('gpt-4o-2024-08-06');
    expect(dated.model_key).toBe('gpt-4o');
    expect(dated.provider).toBe('openai');
    expect(dated.cost_nanos.total).toBe(12_500_000_000); // $2.50 + $10
    const prefixed = cost('openai/gpt-4.1-mini', { input_tokens: 1_000_000, output_tokens: 1_000_000 });
    expect(prefixed.model_key).toBe('gpt-4.1-mini');
    expect(prefixed.cost_nanos.total).toBe(2_000_000_000); // $0.40 + $1.60
  });

  it('prices cached tokens once, at the cached rate', () => {
    const result = cost('gpt-4.1', { input_tokens: 10_000, cached_input_tokens: 8_000, output_tokens: 100 });
    expect(result.tokens).toEqual({ input: 10_000, uncached_input: 2_000, cached_input: 8_000, cache_write: 0, output: 100 });
    expect(result.cost_nanos).toEqual({ input: 4_000_000, cached_input: 4_000_000, cache_write: 0, output: 800_000, total: 8_800_000 });
    expect(result.flags).toEqual([]);
  });

  it('prices Anthropic cache writes at the write rate and reads at the read rate', () => {
    const result = cost('claude-sonnet-4-5-20250929', {
      input_tokens: 10_000,
      cached_input_tokens: 6_000,
      cache_write_tokens: 3_000,
      output_tokens: 1_000,
    });
    // 1,000 × $3 + 6,000 × $0.30 + 3,000 × $3.75 + 1,000 × $15, per million
    expect(result.cost_nanos).toEqual({ input: 3_000_000, cached_input: 1_800_000, cache_write: 11_250_000, output: 15_000_000, total: 31_050_000 });
  });

  it('flags cached + cache_write above input and bills no negative uncached input', () => {
    const result = cost('gpt-4.1', { input_tokens: 100, cached_input_tokens: 5_000, output_tokens: 10 });
    expect(result.flags).toContain('cached_exceeds_input');
    expect(result.tokens).toEqual({ input: 5_000, uncached_input: 0, cached_input: 5_000, cache_write: 0, output: 10 });
    expect(result.cost_nanos.input).toBe(0);
    expect(result.cost_nanos.cached_input).toBe(2_500_000);
  });

  it('moves the whole call to the long-context tier when the prompt passes the threshold', () => {
    const at200k = cost('gemini-2.5-pro', { input_tokens: 200_000, output_tokens: 1_000 });
    expect(at200k.tier).toBe('standard');
    expect(at200k.cost_nanos.total).toBe(250_000_000 + 10_000_000);
    const above = cost('models/gemini-2.5-pro', { input_tokens: 200_001, output_tokens: 1_000 });
    expect(above.tier).toBe('long_context');
    expect(above.cost_nanos).toEqual({ input: 500_002_500, cached_input: 0, cache_write: 0, output: 15_000_000, total: 515_002_500 });

    // Cached and cache-written tokens count toward the prompt size, and all parts move tier.
    const sonnet = cost('anthropic/claude-sonnet-4.5', {
      input_tokens: 250_000,
      cached_input_tokens: 100_000,
      cache_write_tokens: 50_000,
      output_tokens: 2_000,
    });
    expect(sonnet.tier).toBe('long_context');
    expect(sonnet.cost_nanos).toEqual({
      input: 600_000_000,
      cached_input: 60_000_000,
      cache_write: 375_000_000,
      output: 45_000_000,
      total: 1_080_000_000,
    });
  });

  it('reports an unknown model as unpriced, never as free', () => {
    const result = computeCost(book, { model: 'my-local-llama', at: '2026-01-01', usage: { input_tokens: 10, output_tokens: 10 } });
    expect(result).toEqual({
      priced: false,
      reason: 'unknown_model',
      model: 'my-local-llama',
      price_table_version: PRICE_TABLE_VERSION,
      flags: [],
    });
    expect('cost_nanos' in result).toBe(false);
  });

  it('prices the built-in offline model at exactly zero', () => {
    const result = cost('tessera-offline', { input_tokens: 1_000, output_tokens: 1_000, cached_input_tokens: 10 });
    expect(result.model_key).toBe('tessera-offline');
    expect(result.cost_nanos.total).toBe(0);
    expect(result.price_table_version).toBe(PRICE_TABLE_VERSION);
  });

  it('reports a known model called before its first price as unpriced', () => {
    const result = computeCost(book, { model: 'o3', at: '2019-12-31', usage: { input_tokens: 1, output_tokens: 1 } });
    expect(result).toMatchObject({ priced: false, reason: 'no_price_at_date', model_key: 'o3' });
  });

  it('flags and clamps malformed counts instead of throwing', () => {
    const negative = cost('gpt-4o', { input_tokens: -5, output_tokens: 10 });
    expect(negative.flags).toEqual(['negative_token_count']);
    expect(negative.tokens.input).toBe(0);
    expect(negative.cost_nanos.total).toBe(100_000);

    const fractional = cost('gpt-4o', { input_tokens: 10.6, output_tokens: 0 });
    expect(fractional.flags).toEqual(['non_integer_token_count']);
    expect(fractional.tokens.input).toBe(11);

    const garbage = cost('gpt-4o', { input_tokens: Number.NaN, output_tokens: Number.POSITIVE_INFINITY });
    expect(garbage.flags).toEqual(['invalid_token_count']);
    expect(garbage.cost_nanos.total).toBe(0);

    const huge = cost('o1', { input_tokens: 1e12, output_tokens: 1e12 });
    expect(huge.flags).toEqual(['token_count_above_limit']);
    expect(Number.isSafeInteger(huge.cost_nanos.total)).toBe(true);
  });

  it('refuses an ambiguous or invalid call time', () => {
    const usage = { input_tokens: 1, output_tokens: 1 };
    expect(() => computeCost(book, { model: 'o3', at: '2025-07-01T10:00:00', usage })).toThrow(RangeError);
    expect(() => computeCost(book, { model: 'o3', at: 'yesterday', usage })).toThrow(RangeError);
    expect(() => computeCost(book, { model: 'o3', at: new Date(Number.NaN), usage })).toThrow(RangeError);
    expect(cost('o3', usage, '2025-07-01T10:00:00+02:00').effective_from).toBe('2025-06-10');
  });
});

describe('computeCost properties', () => {
  // Deterministic PRNG (mulberry32) so a failure reproduces.
  function rng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const models = [...book.prices.keys()];
  const random = rng(20261121);
  const int = (max: number) => Math.floor(random() * (max + 1));
  const total = (model: string, usage: TokenUsage, at: string) => cost(model, usage, at).cost_nanos.total;

  it('keeps totals integral, equal to the sum of parts, and monotone in added tokens', () => {
    for (let i = 0; i < 3_000; i++) {
      const model = models[int(models.length - 1)] ?? 'gpt-4o';
      const input = int(random() < 0.3 ? 1_200_000 : 5_000);
      const cached = int(input);
      const cacheWrite = int(input - cached);
      const usage: TokenUsage = { input_tokens: input, cached_input_tokens: cached, cache_write_tokens: cacheWrite, output_tokens: int(100_000) };
      const at = '2026-06-01T00:00:00Z';
      const result = cost(model, usage, at);
      const parts = result.cost_nanos;
      for (const value of Object.values(parts)) {
        expect(Number.isSafeInteger(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
      }
      expect(parts.total).toBe(parts.input + parts.cached_input + parts.cache_write + parts.output);
      expect(result.flags).toEqual([]);

      const extra = 1 + int(300_000);
      const base = parts.total;
      expect(total(model, { ...usage, output_tokens: usage.output_tokens + extra }, at)).toBeGreaterThanOrEqual(base);
      expect(total(model, { ...usage, input_tokens: input + extra }, at)).toBeGreaterThanOrEqual(base);
      expect(
        total(model, { ...usage, input_tokens: input + extra, cached_input_tokens: cached + extra }, at),
      ).toBeGreaterThanOrEqual(base);
      expect(
        total(model, { ...usage, input_tokens: input + extra, cache_write_tokens: cacheWrite + extra }, at),
      ).toBeGreaterThanOrEqual(base);
      // Reclassifying tokens as cached never costs more than leaving them uncached. Each part rounds
      // half-up on its own, so with rates that are not whole nanos per token (e.g. $0.059/M) moving
      // one token between parts can shift one rounding by a single nano-dollar.
      if (cached < input - cacheWrite) {
        expect(total(model, { ...usage, cached_input_tokens: cached + 1 }, at)).toBeLessThanOrEqual(base + 1);
      }
    }
  });

  it('never throws on arbitrary junk usage and never yields a negative or fractional cost', () => {
    const junk = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 2e9, 7];
    for (let i = 0; i < 2_000; i++) {
      const pick = () => (random() < 0.5 ? junk[int(junk.length - 1)] ?? 0 : int(300_000));
      const model = models[int(models.length - 1)] ?? 'gpt-4o';
      const result = cost(model, { input_tokens: pick(), output_tokens: pick(), cached_input_tokens: pick(), cache_write_tokens: pick() });
      const parts = result.cost_nanos;
      expect(Number.isSafeInteger(parts.total)).toBe(true);
      expect(parts.total).toBe(parts.input + parts.cached_input + parts.cache_write + parts.output);
      expect(Math.min(...Object.values(parts))).toBeGreaterThanOrEqual(0);
      expect(result.tokens.uncached_input).toBeGreaterThanOrEqual(0);
    }
  });
});
