/**
 * Energy and carbon estimates per LLM call. Inference energy is estimated per 1,000 tokens from
 * published measurements; CO2e is energy times the grid's carbon intensity (a setting,
 * `TESSERA_GRID_GCO2E_PER_KWH`), applied when figures are read. A model without a factor is
 * reported as unestimated, never as zero.
 *
 * Sources (figures are Wh per 1,000 output tokens unless noted; input tokens are counted at a
 * tenth of that, since prefill is batched and far cheaper per token):
 * - [L] Luccioni, Jernite, Strubell, "Power Hungry Processing: Watts Driving the Cost of AI
 *   Deployment?", ACM FAccT 2024 (arXiv:2311.16863): per-query energy of generative models.
 * - [S] Samsi et al., "From Words to Watts: Benchmarking the Energy Costs of Large Language Model
 *   Inference", IEEE HPEC 2023 (arXiv:2310.03003): ≈ 3–4 J per output token for a 65B model on A100s.
 * - [E] Epoch AI, "How much energy does ChatGPT use?" (2025): ≈ 0.3 Wh for a typical GPT-4o query
 *   of ≈ 500 output tokens, i.e. ≈ 0.6 Wh per 1,000 output tokens.
 * - [J] Jegham et al., "How Hungry is AI? Benchmarking Energy, Water, and Carbon Footprint of LLM
 *   Inference", arXiv:2505.09598 (2025): per-model estimates for hosted models (large reasoning
 *   models ≈ 10× a small model per query).
 * - Grid default 400 gCO2e/kWh: IEA "Electricity 2024", world average generation intensity
 *   (≈ 460 in 2022, falling); operators should set their region's figure.
 * Estimates are order-of-magnitude: they support comparing apps and models, not offsetting claims.
 */
export const CARBON_FACTOR_VERSION = '2026-11-22.1';
export const DEFAULT_GRID_GCO2E_PER_KWH = 400;

export interface EnergyFactor {
  /** Wh per 1,000 output tokens. */
  output_wh_per_1k: number;
  /** Wh per 1,000 input tokens (cached input counts at a tenth again). */
  input_wh_per_1k: number;
  source: string;
}

const small = { output_wh_per_1k: 0.15, input_wh_per_1k: 0.015, source: '[E],[J] small model ≈ 1/4 of GPT-4o' };
const medium = { output_wh_per_1k: 0.6, input_wh_per_1k: 0.06, source: '[E] GPT-4o ≈ 0.3 Wh / 500 output tokens' };
const large = { output_wh_per_1k: 1.0, input_wh_per_1k: 0.1, source: '[S] ≈ 3.6 J/token for 65B-class, [L]' };
const reasoning = { output_wh_per_1k: 2.0, input_wh_per_1k: 0.2, source: '[J] reasoning models, per output token incl. hidden reasoning' };

/** By model key (as the price table names models; aliases resolve through the price book first). */
export const ENERGY_FACTORS: Readonly<Record<string, EnergyFactor>> = {
  'tessera-offline': { output_wh_per_1k: 0, input_wh_per_1k: 0, source: 'local deterministic test model: no accelerator' },
  'gpt-5': reasoning,
  'gpt-5.1': reasoning,
  'gpt-5-mini': medium,
  'gpt-5-nano': small,
  'gpt-4.1': large,
  'gpt-4.1-mini': medium,
  'gpt-4.1-nano': small,
  'gpt-4o': medium,
  'gpt-4o-2024-05-13': medium,
  'gpt-4o-mini': small,
  o1: reasoning,
  o3: reasoning,
  'o3-mini': medium,
  'o4-mini': medium,
  'claude-opus-4-5': reasoning,
  'claude-opus-4-1': reasoning,
  'claude-opus-4': reasoning,
  'claude-sonnet-4-5': large,
  'claude-sonnet-4': large,
  'claude-3-7-sonnet': large,
  'claude-haiku-4-5': small,
  'claude-3-5-haiku': small,
};

export interface EnergyEstimate {
  estimated: boolean;
  /** 0 when not estimated (then `estimated` is false: never read it as "no energy"). */
  energy_wh: number;
}

export function estimateEnergy(
  modelKey: string | undefined,
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number },
): EnergyEstimate {
  const factor = modelKey === undefined ? undefined : ENERGY_FACTORS[modelKey];
  if (!factor) return { estimated: false, energy_wh: 0 };
  const uncached = Math.max(0, usage.input_tokens - usage.cached_input_tokens);
  const wh =
    (usage.output_tokens * factor.output_wh_per_1k +
      uncached * factor.input_wh_per_1k +
      usage.cached_input_tokens * factor.input_wh_per_1k * 0.1) /
    1000;
  return { estimated: true, energy_wh: wh };
}

/** Grams CO2e for an energy in Wh at a grid intensity in gCO2e/kWh. */
export const co2eGrams = (energyWh: number, gridGramsPerKwh: number): number => (energyWh / 1000) * gridGramsPerKwh;
