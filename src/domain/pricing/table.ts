/**
 * Built-in list prices, USD per million tokens, standard (non-batch, non-priority) processing.
 * Provider prices come from generated-table.ts, which `npm run prices:update` writes from the
 * pinned @pydantic/genai-prices package (see scripts/prices-update.ts for the mapping rules); do
 * not hand-edit it, bump the package and regenerate. Only Tessera's own models are listed here.
 * Each cost result records PRICE_TABLE_VERSION, derived from the source package version, so a
 * stored cost can always be traced to the prices that produced it. If TESSERA_ENTRIES change,
 * append a local revision to the version (e.g. `genai-prices-0.1.8.t2`).
 */
import { GENERATED_PRICES, GENERATED_PRICE_TABLE_VERSION } from './generated-table';
import { priceListSchema, type PriceEntry } from './schema';

export const PRICE_TABLE_VERSION: string = GENERATED_PRICE_TABLE_VERSION;

const TESSERA_ENTRIES: PriceEntry[] = [
  // Tessera's built-in offline model: known and free, unlike an unknown model (which is unpriced).
  { provider: 'tessera', model: 'tessera-offline', effective_from: '2020-01-01', input: '0', cached_input: '0', cache_write: '0', output: '0' },
];

/** Validated once at module load: a bad generated or local entry fails every import, not a billing run. */
export const BUILT_IN_PRICES: readonly PriceEntry[] = Object.freeze(priceListSchema.parse([...TESSERA_ENTRIES, ...GENERATED_PRICES]));
