/**
 * A price book: the built-in table merged with operator overrides (self-hosted models, negotiated
 * rates), compiled to nano-dollar rates and indexed by model. Reading the overrides file is the
 * caller's job; this module only validates and merges.
 */
import { z } from 'zod';
import { usdToNanos } from './money';
import { priceListSchema, type PriceEntry, type PriceTier } from './schema';
import { BUILT_IN_PRICES, PRICE_TABLE_VERSION } from './table';

/** Nano-dollars per million tokens. */
export interface Rates {
  readonly input: bigint;
  readonly cached_input: bigint;
  readonly cache_write: bigint;
  readonly output: bigint;
}

export interface CompiledTier {
  readonly name: string;
  readonly above_input_tokens: number;
  readonly rates: Rates;
}

export interface CompiledPrice {
  readonly provider: string;
  readonly model: string;
  readonly effective_from: string;
  /** UTC midnight of `effective_from`, in epoch milliseconds. */
  readonly effective_ms: number;
  readonly rates: Rates;
  /** Ascending by threshold. */
  readonly tiers: readonly CompiledTier[];
  readonly source: 'built_in' | 'override';
}

export interface PriceBook {
  readonly version: string;
  /** Model key → its prices, oldest first. */
  readonly prices: ReadonlyMap<string, readonly CompiledPrice[]>;
  /** Alias → model key. */
  readonly aliases: ReadonlyMap<string, string>;
}

export interface PriceIssue {
  /** Dotted path into the document, e.g. `entries[0].tiers[1].input`; `(root)` for the document. */
  readonly path: string;
  readonly message: string;
}

export class PriceOverrideError extends Error {
  constructor(readonly issues: readonly PriceIssue[]) {
    super(`invalid price overrides: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
    this.name = 'PriceOverrideError';
  }
}

const overridesDocumentSchema = z.strictObject({ entries: priceListSchema });

/**
 * Validates an overrides document: either `{ "entries": [...] }` or a bare array of entries, each
 * shaped like a built-in entry. Throws PriceOverrideError naming the path of every bad field.
 */
export function parsePriceOverrides(json: unknown): PriceEntry[] {
  const result = Array.isArray(json) ? priceListSchema.safeParse(json) : overridesDocumentSchema.safeParse(json);
  if (!result.success) throw new PriceOverrideError(result.error.issues.map(toIssue));
  return Array.isArray(result.data) ? result.data : result.data.entries;
}

/**
 * Merges overrides over the built-in table: an override replaces the built-in entry for the same
 * model and `effective_from`, and otherwise adds a dated price (a later date supersedes the table
 * from then on). Override aliases win over built-in ones. With overrides the version gains a hash
 * of them, so costs computed under different overrides never share a version.
 */
export function buildPriceBook(overrides: readonly PriceEntry[] = []): PriceBook {
  // Revalidate: callers may build entries by hand rather than through parsePriceOverrides.
  const checked = priceListSchema.safeParse(overrides);
  if (!checked.success) throw new PriceOverrideError(checked.error.issues.map(toIssue));

  const merged = new Map<string, CompiledPrice>();
  const aliases = new Map<string, string>();
  for (const [entries, source] of [
    [BUILT_IN_PRICES, 'built_in'],
    [checked.data, 'override'],
  ] as const) {
    for (const entry of entries) {
      merged.set(`${entry.model}@${entry.effective_from}`, compile(entry, source));
      for (const alias of entry.aliases ?? []) aliases.set(alias, entry.model);
    }
  }

  const prices = new Map<string, CompiledPrice[]>();
  for (const price of merged.values()) {
    const list = prices.get(price.model) ?? [];
    list.push(price);
    prices.set(price.model, list);
  }
  for (const list of prices.values()) list.sort((a, b) => a.effective_ms - b.effective_ms);
  // A real model name always wins over an alias of the same spelling.
  for (const alias of [...aliases.keys()]) if (prices.has(alias)) aliases.delete(alias);

  const version = checked.data.length === 0 ? PRICE_TABLE_VERSION : `${PRICE_TABLE_VERSION}+ovr.${overridesHash(checked.data)}`;
  return Object.freeze({ version, prices, aliases });
}

/** The built-in table with no overrides. */
export const DEFAULT_PRICE_BOOK: PriceBook = buildPriceBook();

function compile(entry: PriceEntry, source: CompiledPrice['source']): CompiledPrice {
  return Object.freeze({
    provider: entry.provider,
    model: entry.model,
    effective_from: entry.effective_from,
    effective_ms: Date.parse(`${entry.effective_from}T00:00:00Z`),
    rates: compileRates(entry),
    tiers: Object.freeze(
      (entry.tiers ?? []).map((tier) => Object.freeze({ name: tier.name, above_input_tokens: tier.above_input_tokens, rates: compileRates(tier) })),
    ),
    source,
  });
}

function compileRates(rates: PriceEntry | PriceTier): Rates {
  const input = usdToNanos(rates.input);
  return Object.freeze({
    input,
    // No listed cached or cache-write rate means those tokens are ordinary input.
    cached_input: rates.cached_input === undefined ? input : usdToNanos(rates.cached_input),
    cache_write: rates.cache_write === undefined ? input : usdToNanos(rates.cache_write),
    output: usdToNanos(rates.output),
  });
}

/**
 * Hash of what the overrides mean for pricing (rates in nanos, so "2.5" and 2.50 agree; order and
 * notes ignored). FNV-1a in plain code because this module may run inside Temporal workflows,
 * where node:crypto is unavailable.
 */
function overridesHash(entries: readonly PriceEntry[]): string {
  const canonical = entries
    .map((entry) => {
      const price = compile(entry, 'override');
      const rates = (r: Rates) => [r.input, r.cached_input, r.cache_write, r.output].map(String);
      return JSON.stringify([
        price.provider,
        price.model,
        price.effective_from,
        rates(price.rates),
        price.tiers.map((tier) => [tier.name, tier.above_input_tokens, rates(tier.rates)]),
        [...(entry.aliases ?? [])].sort(),
      ]);
    })
    .sort();
  return fnv1a64(canonical.join('\n')).slice(0, 12);
}

function fnv1a64(text: string): string {
  const mask = (1n << 64n) - 1n;
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // Both bytes of each UTF-16 unit, so non-ASCII names hash distinctly.
    for (const byte of [unit >> 8, unit & 0xff]) {
      hash ^= BigInt(byte);
      hash = (hash * 0x100000001b3n) & mask;
    }
  }
  return hash.toString(16).padStart(16, '0');
}

function toIssue(issue: z.core.$ZodIssue): PriceIssue {
  let path = '';
  for (const segment of issue.path) {
    path += typeof segment === 'number' ? `[${segment}]` : `${path === '' ? '' : '.'}${String(segment)}`;
  }
  return { path: path === '' ? '(root)' : path, message: issue.message };
}
