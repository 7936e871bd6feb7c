import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUT, sourceVersion, writeTable } from '../../../scripts/prices-update';
import { computeCost, DEFAULT_PRICE_BOOK, PRICE_TABLE_VERSION, resolveModel, type PricedCost } from '../../../src/domain/pricing';

const MILLION = { input_tokens: 1_000_000, output_tokens: 1_000_000 };

function rates(model: string) {
  const key = resolveModel(DEFAULT_PRICE_BOOK, model)?.key;
  const list = key === undefined ? undefined : DEFAULT_PRICE_BOOK.prices.get(key);
  const latest = list?.[list.length - 1];
  if (latest === undefined) throw new Error(`no price for ${model}`);
  return latest;
}

describe('generated price table (@pydantic/genai-prices)', () => {
  it('carries the source package version as the table version', () => {
    expect(PRICE_TABLE_VERSION).toBe(`genai-prices-${sourceVersion()}`);
    expect(sourceVersion()).toBe('0.1.8');
  });

  it('matches list prices as the providers publish them (USD per million tokens)', () => {
    // OpenAI gpt-4o: $2.50 input, $1.25 cached input, $10 output.
    expect(rates('gpt-4o')).toMatchObject({ provider: 'openai', rates: { input: 2_500_000_000n, cached_input: 1_250_000_000n, output: 10_000_000_000n } });
    // OpenAI gpt-4o-mini: $0.15 input, $0.075 cached, $0.60 output.
    expect(rates('gpt-4o-mini').rates).toMatchObject({ input: 150_000_000n, cached_input: 75_000_000n, output: 600_000_000n });
    // Anthropic Claude 3.5 Sonnet: $3 input, $0.30 cache read, $3.75 5-minute cache write, $15 output.
    expect(rates('claude-3-5-sonnet-20241022')).toMatchObject({
      provider: 'anthropic',
      rates: { input: 3_000_000_000n, cached_input: 300_000_000n, cache_write: 3_750_000_000n, output: 15_000_000_000n },
    });
    // OpenAI has no cache-write premium: cache writes default to the input rate.
    expect(rates('gpt-4o').rates.cache_write).toBe(2_500_000_000n);
    // Claude Sonnet 4.5 bills the whole call at long-context rates above 200k prompt tokens.
    expect(rates('claude-sonnet-4-5').tiers).toEqual([
      { name: 'long_context', above_input_tokens: 200_000, rates: { input: 6_000_000_000n, cached_input: 600_000_000n, cache_write: 7_500_000_000n, output: 22_500_000_000n } },
    ]);
  });

  it('keeps the source dates: o3 price cut effective 2025-06-10', () => {
    const o3 = DEFAULT_PRICE_BOOK.prices.get('o3') ?? [];
    expect(o3.map((price) => [price.effective_from, price.rates.input, price.rates.output])).toEqual([
      ['2020-01-01', 10_000_000_000n, 40_000_000_000n],
      ['2025-06-10', 2_000_000_000n, 8_000_000_000n],
    ]);
  });

  it('agrees with the library own calculation for plain input/output usage', () => {
    const at = new Date('2026-06-01T00:00:00Z');
    for (const [provider, model] of [
      ['openai', 'gpt-4o'], ['openai', 'gpt-4.1-mini'], ['openai', 'o3'], ['anthropic', 'claude-3-5-haiku-20241022'],
      ['anthropic', 'claude-opus-4-1'], ['google', 'gemini-2.5-flash'], ['mistral', 'mistral-large-latest'], ['deepseek', 'deepseek-chat'],
    ] as const) {
      const theirs = calcPrice(MILLION, model, { providerId: provider, timestamp: at });
      expect(theirs, model).not.toBeNull();
      const ours = computeCost(DEFAULT_PRICE_BOOK, { model, at, usage: MILLION });
      expect(ours.priced, model).toBe(true);
      expect((ours as PricedCost).cost_nanos.total, model).toBe(Math.round((theirs?.total_price ?? Number.NaN) * 1e9));
    }
  });

  it('is reproduced byte for byte by npm run prices:update', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prices-'));
    try {
      const out = path.join(dir, 'generated-table.ts');
      writeTable(out);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(DEFAULT_OUT, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
