/**
 * `npm run prices:update`: regenerates src/domain/pricing/generated-table.ts from the pinned,
 * installed devDependency @pydantic/genai-prices. It reads only the data bundled in that package
 * (through `findProvider`); it never fetches anything and never calls `updatePrices`, so the
 * library's remote auto-update stays off. To take new prices, bump the pinned version
 * (`npm install --save-exact --save-dev @pydantic/genai-prices@<ver>`) and re-run this script.
 *
 * Mapping to Tessera's price schema (src/domain/pricing/schema.ts):
 * - Providers: only first-party APIs Tessera's gateways talk to, in this priority order:
 *   openai, anthropic, google, mistral, deepseek, x-ai, groq. Price-book keys are model names
 *   without provider, so when two providers list the same model id the earlier provider wins
 *   (groq, a host of open models, is last). Resellers/aggregators (openrouter, bedrock, azure,
 *   together, ...) are left out: their ids collide with the first-party ones.
 * - Models: those priced per token (input_mtok and output_mtok). Audio-hours, image, per-request
 *   and search prices are not token usage Tessera records, so those keys are ignored and models
 *   priced only that way are skipped. Model keys are the source's ids, lower-cased (the source
 *   matches names case-insensitively; Tessera's resolver lower-cases before its normalized
 *   lookup), except that an id `<name>-latest` or `<name>-0` whose match rule also names `<name>`
 *   is keyed `<name>` (the id becomes an alias), keeping Tessera's earlier keys.
 * - Rates: input_mtok → input, output_mtok → output, cache_read_mtok → cached_input,
 *   cache_write_mtok (5-minute writes) → cache_write. cache_write_1h_mtok is not distinguished in
 *   usage and is dropped (1-hour cache writes are under-priced, as before). Amounts are converted
 *   to exact integer nano-dollars and written back as decimal USD strings the schema re-parses.
 * - Dates: a price list's `start_date` constraints become dated entries (`effective_from`); the
 *   unconstrained base price gets BASE_EFFECTIVE_FROM because the source gives no launch dates.
 *   `time_of_date` constraints (off-peak discounts) cannot be expressed and are skipped, so
 *   off-peak calls are priced at the regular rate.
 * - Tiers: the source's tiered prices ({ base, tiers: [{ start, price }] }, applied to the whole
 *   call when input tokens exceed `start`) map one-to-one onto Tessera tiers (`above_input_tokens`).
 *   A single threshold is named `long_context`, several are named `above_<tokens>`.
 * - Aliases: the `equals` names of a model's match rule, and `starts_with` prefixes that are
 *   themselves usable names (not ending in `-`, `@`, `.` or a bare year), become aliases. Other
 *   match logic (regex, contains, ends_with) is not mapped; Tessera's own prefix and date-suffix
 *   normalization (match.ts) covers dated snapshots. An alias that is a model key or already names
 *   another model is dropped (first provider/model in sort order wins).
 * - A later provider's model whose id is a key or alias of an earlier provider's is skipped.
 * - Entries above the schema's $1,000/M cap are skipped.
 *
 * Output is sorted (provider priority, then model key, then date) so re-running reproduces the
 * file byte for byte; test/domain/pricing/generated-table.test.ts checks that.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findProvider, type ConditionalPrice, type MatchLogic, type ModelPrice, type TieredPrices } from '@pydantic/genai-prices';

const SOURCE_PACKAGE = '@pydantic/genai-prices';
export const PROVIDERS = ['openai', 'anthropic', 'google', 'mistral', 'deepseek', 'x-ai', 'groq'] as const;
const BASE_EFFECTIVE_FROM = '2020-01-01';
const MAX_NANOS = 1000n * 1_000_000_000n;
export const DEFAULT_OUT = path.join(__dirname, '..', 'src', 'domain', 'pricing', 'generated-table.ts');

type Rate = number | TieredPrices | undefined;
interface Tier {
  name: string;
  above_input_tokens: number;
  input: string;
  cached_input?: string;
  cache_write?: string;
  output: string;
}
interface Entry {
  provider: string;
  model: string;
  effective_from: string;
  input: string;
  cached_input?: string;
  cache_write?: string;
  output: string;
  tiers?: Tier[];
  aliases?: string[];
}

export function sourceVersion(): string {
  const main = require.resolve(SOURCE_PACKAGE);
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function toNanos(usd: number): bigint | undefined {
  const scaled = usd * 1e9;
  const nanos = Math.round(scaled);
  if (!Number.isFinite(usd) || usd < 0 || Math.abs(scaled - nanos) > 1e-3) return undefined;
  return BigInt(nanos);
}

function usd(nanos: bigint): string {
  const whole = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

function isTiered(rate: Rate): rate is TieredPrices {
  return typeof rate === 'object';
}

/** The price of `rate` for a call whose input exceeds `threshold` (the base when threshold is -1). */
function rateAt(rate: Rate, threshold: number): bigint | undefined {
  if (rate === undefined) return undefined;
  if (!isTiered(rate)) return toNanos(rate);
  let price = rate.base;
  for (const tier of [...rate.tiers].sort((a, b) => a.start - b.start)) if (threshold >= tier.start) price = tier.price;
  return toNanos(price);
}

interface Rates {
  input: string;
  cached_input?: string;
  cache_write?: string;
  output: string;
}

function ratesAt(prices: ModelPrice, threshold: number): Rates | undefined {
  const input = rateAt(prices.input_mtok, threshold);
  const output = rateAt(prices.output_mtok, threshold);
  const cached = rateAt(prices.cache_read_mtok, threshold);
  const write = rateAt(prices.cache_write_mtok, threshold);
  if (input === undefined || output === undefined) return undefined;
  if ([input, output, cached, write].some((n) => n !== undefined && n > MAX_NANOS)) return undefined;
  return {
    input: usd(input),
    ...(cached === undefined ? {} : { cached_input: usd(cached) }),
    ...(write === undefined ? {} : { cache_write: usd(write) }),
    output: usd(output),
  };
}

function toRates(prices: ModelPrice): (Rates & { tiers?: Tier[] }) | undefined {
  const base = ratesAt(prices, -1);
  if (base === undefined) return undefined;
  const starts = new Set<number>();
  for (const key of ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok']) {
    const rate = prices[key];
    if (isTiered(rate)) for (const tier of rate.tiers) starts.add(tier.start);
  }
  const thresholds = [...starts].sort((a, b) => a - b);
  const tiers: Tier[] = [];
  for (const start of thresholds) {
    const rates = ratesAt(prices, start);
    if (rates === undefined) return undefined;
    tiers.push({ name: thresholds.length === 1 ? 'long_context' : `above_${start}`, above_input_tokens: start, ...rates });
  }
  return tiers.length === 0 ? base : { ...base, tiers };
}

function matchNames(match: MatchLogic, out: string[]): void {
  if ('or' in match) for (const part of match.or) matchNames(part, out);
  else if ('equals' in match) out.push(match.equals.toLowerCase());
  else if ('starts_with' in match) {
    const prefix = match.starts_with.toLowerCase();
    if (!/[-@.]$/.test(prefix) && !/-20\d\d$/.test(prefix)) out.push(prefix);
  }
  // `and`, `regex`, `contains`, `ends_with` are not simple names: not mapped.
}

function periods(prices: ConditionalPrice[] | ModelPrice): { effective_from: string; prices: ModelPrice }[] {
  const list: ConditionalPrice[] = Array.isArray(prices) ? prices : [{ prices }];
  const byDate = new Map<string, ModelPrice>();
  for (const item of list) {
    if (item.constraint === undefined) byDate.set(BASE_EFFECTIVE_FROM, item.prices);
    else if (item.constraint.type === 'start_date') byDate.set(item.constraint.start_date.slice(0, 10), item.prices);
    // time_of_date (off-peak) windows are skipped: see the header.
  }
  return [...byDate.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([effective_from, p]) => ({ effective_from, prices: p }));
}

export function buildEntries(): Entry[] {
  const models = new Map<string, { provider: string; names: string[]; dated: { effective_from: string; rates: Rates & { tiers?: Tier[] } }[] }>();
  // Names (keys and aliases) taken by an earlier, higher-priority provider.
  const claimed = new Set<string>();
  for (const providerId of PROVIDERS) {
    const own: string[] = [];
    const provider = findProvider({ providerId });
    if (provider === undefined) throw new Error(`${SOURCE_PACKAGE} has no provider '${providerId}'`);
    const sorted = [...provider.models].sort((a, b) => a.id.toLowerCase().localeCompare(b.id.toLowerCase()));
    for (const model of sorted) {
      const names: string[] = [];
      matchNames(model.match, names);
      const id = model.id.toLowerCase();
      // `claude-opus-4-0` / `claude-3-7-sonnet-latest` are keyed by the plain name they also match
      // (`claude-opus-4`, `claude-3-7-sonnet`), so keys stay stable for stored usage and analytics.
      const key = names.find((name) => id === `${name}-latest` || id === `${name}-0`) ?? id;
      if (key !== id) names.push(id);
      if (models.has(key) || claimed.has(key) || /\s/.test(key)) continue;
      const dated = periods(model.prices).flatMap(({ effective_from, prices }) => {
        const rates = toRates(prices);
        return rates === undefined ? [] : [{ effective_from, rates }];
      });
      if (dated.length === 0) continue;
      models.set(key, { provider: providerId, names, dated });
      own.push(key, ...names);
    }
    for (const name of own) claimed.add(name);
  }

  const aliasOwner = new Map<string, string>();
  for (const [key, model] of models) {
    for (const name of model.names) if (name !== key && !models.has(name) && !aliasOwner.has(name)) aliasOwner.set(name, key);
  }
  const aliasesOf = new Map<string, string[]>();
  for (const [alias, key] of aliasOwner) aliasesOf.set(key, [...(aliasesOf.get(key) ?? []), alias]);

  const entries: Entry[] = [];
  for (const [key, model] of models) {
    const aliases = (aliasesOf.get(key) ?? []).sort();
    model.dated.forEach(({ effective_from, rates }, index) => {
      // Aliases are listed once, on the model's first entry.
      entries.push({ provider: model.provider, model: key, effective_from, ...rates, ...(index === 0 && aliases.length > 0 ? { aliases } : {}) });
    });
  }
  return entries;
}

export function renderTable(): string {
  const version = sourceVersion();
  const entries = buildEntries();
  const lines = [
    `// generated by npm run prices:update from ${SOURCE_PACKAGE}@${version}; do not edit.`,
    '// The mapping rules (providers kept, dates, tiers, aliases) are documented in scripts/prices-update.ts.',
    "import type { PriceEntry } from './schema';",
    '',
    `export const GENERATED_PRICE_SOURCE = '${SOURCE_PACKAGE}@${version}';`,
    `export const GENERATED_PRICE_TABLE_VERSION = 'genai-prices-${version}';`,
    '',
    `/** ${entries.length} entries, USD per million tokens (exact nano-dollar amounts). */`,
    'export const GENERATED_PRICES: readonly PriceEntry[] = [',
    ...entries.map((entry) => `  ${JSON.stringify(entry)},`),
    '];',
    '',
  ];
  return lines.join('\n');
}

export function writeTable(out: string = DEFAULT_OUT): void {
  writeFileSync(out, renderTable());
}

if (require.main === module) {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex >= 0 ? process.argv[outIndex + 1] : DEFAULT_OUT;
  if (out === undefined) throw new Error('--out needs a path');
  writeTable(out);
  console.log(`wrote ${out}`);
}
