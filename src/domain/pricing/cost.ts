/**
 * Cost of one model call in nano-dollars. Bad usage numbers are flagged and clamped, never thrown:
 * a provider's odd usage report must not fail a turn, but it must be visible in the cost record.
 * An unknown model is reported unpriced, never as free.
 */
import type { CompiledPrice, PriceBook, Rates } from './book';
import { resolveModel } from './match';
import { tokensCostNanos } from './money';
import { STANDARD_TIER } from './schema';

/**
 * Token counts as the gateway reports them. `input_tokens` counts ALL prompt tokens, cached and
 * cache-written ones included (OpenAI's convention). Anthropic reports cache reads and writes
 * outside `input_tokens`, so its adapter must add them in. Reasoning tokens belong in output.
 */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens?: number;
  cache_write_tokens?: number;
}

export interface CostRequest {
  model: string;
  /** When the call was made: a Date, an ISO date (`2025-06-10`, UTC) or an ISO timestamp with offset. */
  at: Date | string;
  usage: TokenUsage;
}

export type CostFlag =
  | 'invalid_token_count'
  | 'non_integer_token_count'
  | 'negative_token_count'
  | 'token_count_above_limit'
  | 'cached_exceeds_input';

export interface CostNanos {
  readonly input: number;
  readonly cached_input: number;
  readonly cache_write: number;
  readonly output: number;
  readonly total: number;
}

/** The token counts actually billed, after clamping. */
export interface BilledTokens {
  readonly input: number;
  readonly uncached_input: number;
  readonly cached_input: number;
  readonly cache_write: number;
  readonly output: number;
}

export interface PricedCost {
  readonly priced: true;
  readonly model: string;
  readonly model_key: string;
  readonly provider: string;
  readonly cost_nanos: CostNanos;
  readonly tokens: BilledTokens;
  readonly price_table_version: string;
  readonly effective_from: string;
  readonly tier: string;
  readonly flags: readonly CostFlag[];
}

export interface UnpricedCost {
  readonly priced: false;
  /** `no_price_at_date`: the model is known but `at` is before its first listed price. */
  readonly reason: 'unknown_model' | 'no_price_at_date';
  readonly model: string;
  readonly model_key?: string;
  readonly price_table_version: string;
  readonly flags: readonly CostFlag[];
}

export type CostResult = PricedCost | UnpricedCost;

/**
 * Largest token count billed per field. With prices capped at $1,000/M (schema.ts) every component
 * stays below 2e15 nanos, so costs are exact as JSON numbers.
 */
export const MAX_TOKENS_PER_CALL = 1_000_000_000;

export function computeCost(book: PriceBook, request: CostRequest): CostResult {
  const atMs = toEpochMs(request.at);
  const flags = new Set<CostFlag>();
  const tokens = billedTokens(request.usage, flags);
  const match = resolveModel(book, request.model);
  if (match === undefined) {
    return { priced: false, reason: 'unknown_model', model: request.model, price_table_version: book.version, flags: [...flags] };
  }
  const price = priceInEffect(book, match.key, atMs);
  if (price === undefined) {
    return {
      priced: false,
      reason: 'no_price_at_date',
      model: request.model,
      model_key: match.key,
      price_table_version: book.version,
      flags: [...flags],
    };
  }

  // The tier is chosen by the whole prompt and applies to every token of the call.
  const tier = lastWhere(price.tiers, (candidate) => tokens.input > candidate.above_input_tokens);
  const rates: Rates = tier?.rates ?? price.rates;
  const parts = {
    input: tokensCostNanos(tokens.uncached_input, rates.input),
    cached_input: tokensCostNanos(tokens.cached_input, rates.cached_input),
    cache_write: tokensCostNanos(tokens.cache_write, rates.cache_write),
    output: tokensCostNanos(tokens.output, rates.output),
  };
  const total = parts.input + parts.cached_input + parts.cache_write + parts.output;
  return {
    priced: true,
    model: request.model,
    model_key: price.model,
    provider: price.provider,
    cost_nanos: {
      input: toSafeNumber(parts.input),
      cached_input: toSafeNumber(parts.cached_input),
      cache_write: toSafeNumber(parts.cache_write),
      output: toSafeNumber(parts.output),
      total: toSafeNumber(total),
    },
    tokens,
    price_table_version: book.version,
    effective_from: price.effective_from,
    tier: tier?.name ?? STANDARD_TIER,
    flags: [...flags],
  };
}

/** The latest price for `modelKey` whose `effective_from` is on or before `at`. */
export function priceInEffect(book: PriceBook, modelKey: string, at: Date | string | number): CompiledPrice | undefined {
  const atMs = typeof at === 'number' ? at : toEpochMs(at);
  return lastWhere(book.prices.get(modelKey) ?? [], (price) => price.effective_ms <= atMs);
}

/** Array.prototype.findLast is ES2023, beyond this project's lib setting. */
function lastWhere<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item !== undefined && test(item)) return item;
  }
  return undefined;
}

function billedTokens(usage: TokenUsage, flags: Set<CostFlag>): BilledTokens {
  const cached = count(usage.cached_input_tokens, flags);
  const cacheWrite = count(usage.cache_write_tokens, flags);
  let input = count(usage.input_tokens, flags);
  if (cached + cacheWrite > input) {
    // Trust the specific counts and bill no uncached input: the usual cause is a report whose
    // input excludes cache tokens, where this under-bills least without double counting.
    flags.add('cached_exceeds_input');
    input = cached + cacheWrite;
  }
  return {
    input,
    uncached_input: input - cached - cacheWrite,
    cached_input: cached,
    cache_write: cacheWrite,
    output: count(usage.output_tokens, flags),
  };
}

function count(value: number | undefined, flags: Set<CostFlag>): number {
  if (value === undefined) return 0;
  // typeof guards callers outside TypeScript (usage parsed from JSON may hold null or strings).
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    flags.add('invalid_token_count');
    return 0;
  }
  let tokens = value;
  if (!Number.isInteger(tokens)) {
    flags.add('non_integer_token_count');
    tokens = Math.round(tokens);
  }
  if (tokens < 0) {
    flags.add('negative_token_count');
    return 0;
  }
  if (tokens > MAX_TOKENS_PER_CALL) {
    flags.add('token_count_above_limit');
    return MAX_TOKENS_PER_CALL;
  }
  return Math.max(0, tokens); // turns -0 into 0
}

// Date-only strings parse as UTC, but timestamps without an offset parse as local time, which would
// make a cost depend on the machine's time zone; those are refused.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

function toEpochMs(at: Date | string): number {
  let ms = Number.NaN;
  if (at instanceof Date) ms = at.getTime();
  else if (typeof at === 'string' && (ISO_DATE.test(at) || ISO_TIMESTAMP.test(at))) ms = Date.parse(at);
  if (!Number.isFinite(ms)) throw new RangeError(`'at' must be a valid Date or ISO date/timestamp with offset, got ${String(at)}`);
  return ms;
}

function toSafeNumber(nanos: bigint): number {
  // Unreachable given MAX_TOKENS_PER_CALL and the price cap; kept so a future change cannot round silently.
  if (nanos > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`cost of ${nanos} nanos exceeds the safe integer range`);
  return Number(nanos);
}
