import { describe, expect, it } from 'vitest';
import { co2eGrams, ENERGY_FACTORS, estimateEnergy } from '../../../src/domain/analytics';
import { buildPriceBook, resolveModel } from '../../../src/domain/pricing';

describe('energy and carbon estimates', () => {
  it('estimates from the model factor: output at full rate, input at its rate, cached input at a tenth', () => {
    const f = ENERGY_FACTORS['gpt-4o'];
    if (!f) throw new Error('gpt-4o has a factor');
    const e = estimateEnergy('gpt-4o', { input_tokens: 2000, cached_input_tokens: 1000, output_tokens: 500 });
    expect(e.estimated).toBe(true);
    expect(e.energy_wh).toBeCloseTo((500 * f.output_wh_per_1k + 1000 * f.input_wh_per_1k + 1000 * f.input_wh_per_1k * 0.1) / 1000, 12);
    expect(co2eGrams(1000, 400)).toBe(400);
  });

  it('an unknown model is unestimated, never zero energy', () => {
    expect(estimateEnergy('mystery-model', { input_tokens: 10, cached_input_tokens: 0, output_tokens: 10 })).toEqual({ estimated: false, energy_wh: 0 });
    expect(estimateEnergy(undefined, { input_tokens: 10, cached_input_tokens: 0, output_tokens: 10 }).estimated).toBe(false);
  });

  it('every factor names a model of the price table and cites a source', () => {
    const book = buildPriceBook();
    for (const [model, factor] of Object.entries(ENERGY_FACTORS)) {
      expect(resolveModel(book, model)?.key, model).toBe(model);
      expect(factor.source.length).toBeGreaterThan(3);
    }
  });
});
