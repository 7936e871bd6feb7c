import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES, DEFAULT_PRICE_BOOK, PRICE_TABLE_VERSION, resolveModel, usdToNanos } from '../../../src/domain/pricing';

describe('built-in price table', () => {
  it('is versioned by the source package version', () => {
    expect(PRICE_TABLE_VERSION).toMatch(/^genai-prices-\d+\.\d+\.\d+$/);
    expect(DEFAULT_PRICE_BOOK.version).toBe(PRICE_TABLE_VERSION);
  });

  it('prices the required models (directly or through an alias)', () => {
    const required = [
      'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini', 'o3', 'o3-mini', 'o4-mini', 'o1',
      'gpt-5', 'gpt-5-mini', 'gpt-5-nano',
      'claude-opus-4', 'claude-opus-4-1', 'claude-sonnet-4', 'claude-sonnet-4-5', 'claude-3-5-haiku', 'claude-haiku-4-5',
      'claude-3-7-sonnet',
      'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.0-flash',
      'tessera-offline',
    ];
    for (const model of required) expect(resolveModel(DEFAULT_PRICE_BOOK, model), model).toBeDefined();
  });

  it('keeps every cache-read rate at or below the input rate and tiers at or above the base', () => {
    for (const entry of BUILT_IN_PRICES) {
      const input = usdToNanos(entry.input);
      if (entry.cached_input !== undefined) expect(usdToNanos(entry.cached_input), entry.model).toBeLessThanOrEqual(input);
      for (const tier of entry.tiers ?? []) {
        expect(usdToNanos(tier.input), entry.model).toBeGreaterThanOrEqual(input);
        expect(usdToNanos(tier.output), entry.model).toBeGreaterThanOrEqual(usdToNanos(entry.output));
      }
    }
  });
});
