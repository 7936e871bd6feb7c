/**
 * Maps the model name a gateway reports to a price-book key. Gateways decorate names with provider
 * prefixes (`openai/gpt-4.1-mini`, `models/gemini-2.5-pro`) and providers return dated snapshots
 * (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`); both should price as the base model unless
 * the book lists the exact name (a snapshot with its own price, e.g. `gpt-4o-2024-05-13`).
 */
import type { PriceBook } from './book';

const PROVIDER_PREFIXES = ['openai/', 'anthropic/', 'google/', 'models/'];

// Calendar-shaped only, so a model whose name merely ends in digits is not truncated.
const DATE_SUFFIX = /(?:-20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])|[-@]20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$/;

export type MatchVia = 'exact' | 'alias' | 'normalized';

export interface ModelMatch {
  readonly key: string;
  readonly via: MatchVia;
}

/** Removes known provider prefixes, repeatedly (`google/models/x` → `x`). */
export function stripProviderPrefixes(name: string): string {
  let rest = name;
  for (;;) {
    const prefix = PROVIDER_PREFIXES.find((p) => rest.toLowerCase().startsWith(p));
    if (prefix === undefined) return rest;
    rest = rest.slice(prefix.length);
  }
}

/** Removes one `-YYYY-MM-DD`, `-YYYYMMDD` or `@YYYYMMDD` (Vertex) snapshot suffix. */
export function stripDateSuffix(name: string): string {
  return name.replace(DATE_SUFFIX, '');
}

/**
 * Resolves `name` to a model key: the exact name, then an alias, then the name with prefixes,
 * case and date suffix normalized (each form tried as a key, then as an alias).
 */
export function resolveModel(book: PriceBook, name: string): ModelMatch | undefined {
  const trimmed = name.trim();
  if (book.prices.has(trimmed)) return { key: trimmed, via: 'exact' };
  const aliased = book.aliases.get(trimmed);
  if (aliased !== undefined) return { key: aliased, via: 'alias' };
  const bare = stripProviderPrefixes(trimmed);
  for (const candidate of [bare, bare.toLowerCase(), stripDateSuffix(bare.toLowerCase())]) {
    if (book.prices.has(candidate)) return { key: candidate, via: 'normalized' };
    const target = book.aliases.get(candidate);
    if (target !== undefined) return { key: target, via: 'normalized' };
  }
  return undefined;
}
