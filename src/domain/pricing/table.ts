/**
 * Built-in list prices, USD per million tokens, standard (non-batch, non-priority) processing.
 * Bump PRICE_TABLE_VERSION on every edit: each cost result records it, so a stored cost can always
 * be traced to the prices that produced it. Add a new dated entry for a price change instead of
 * editing the old one, so past usage keeps its past price.
 */
import { priceListSchema, type PriceEntry } from './schema';

export const PRICE_TABLE_VERSION = '2026-11-21.1';

// Anthropic bills prompt tokens above 200k at the long-context rates for the whole request.
const SONNET_LONG_CONTEXT = [
  { name: 'long_context', above_input_tokens: 200_000, input: '6', cached_input: '0.60', cache_write: '7.50', output: '22.50' },
];

const ENTRIES: PriceEntry[] = [
  // Tessera's built-in offline model: known and free, unlike an unknown model (which is unpriced).
  { provider: 'tessera', model: 'tessera-offline', effective_from: '2020-01-01', input: '0', cached_input: '0', cache_write: '0', output: '0' },

  // OpenAI. Cached input is the automatic prompt-cache read rate; OpenAI has no cache-write premium,
  // so cache_write is left to default to the input rate. Reasoning tokens are billed as output.
  { provider: 'openai', model: 'gpt-5', effective_from: '2025-08-07', input: '1.25', cached_input: '0.125', output: '10', aliases: ['gpt-5-chat-latest'] },
  { provider: 'openai', model: 'gpt-5-mini', effective_from: '2025-08-07', input: '0.25', cached_input: '0.025', output: '2' },
  { provider: 'openai', model: 'gpt-5-nano', effective_from: '2025-08-07', input: '0.05', cached_input: '0.005', output: '0.40' },
  { provider: 'openai', model: 'gpt-5.1', effective_from: '2025-11-13', input: '1.25', cached_input: '0.125', output: '10', aliases: ['gpt-5.1-chat-latest'] },
  { provider: 'openai', model: 'gpt-4.1', effective_from: '2025-04-14', input: '2', cached_input: '0.50', output: '8' },
  { provider: 'openai', model: 'gpt-4.1-mini', effective_from: '2025-04-14', input: '0.40', cached_input: '0.10', output: '1.60' },
  { provider: 'openai', model: 'gpt-4.1-nano', effective_from: '2025-04-14', input: '0.10', cached_input: '0.025', output: '0.40' },
  // `gpt-4o` is priced from the 2024-08-06 snapshot on; the launch snapshot kept its own, higher price.
  { provider: 'openai', model: 'gpt-4o', effective_from: '2024-08-06', input: '2.50', cached_input: '1.25', output: '10' },
  { provider: 'openai', model: 'gpt-4o-2024-05-13', effective_from: '2024-05-13', input: '5', output: '15' },
  { provider: 'openai', model: 'gpt-4o-mini', effective_from: '2024-07-18', input: '0.15', cached_input: '0.075', output: '0.60' },
  { provider: 'openai', model: 'o1', effective_from: '2024-12-17', input: '15', cached_input: '7.50', output: '60' },
  { provider: 'openai', model: 'o3-mini', effective_from: '2025-01-31', input: '1.10', cached_input: '0.55', output: '4.40' },
  { provider: 'openai', model: 'o3', effective_from: '2025-04-16', input: '10', cached_input: '2.50', output: '40' },
  { provider: 'openai', model: 'o3', effective_from: '2025-06-10', input: '2', cached_input: '0.50', output: '8', note: '80% price cut' },
  { provider: 'openai', model: 'o4-mini', effective_from: '2025-04-16', input: '1.10', cached_input: '0.275', output: '4.40' },

  // Anthropic. cached_input is the cache-read rate (0.1x input), cache_write the 5-minute cache-write
  // rate (1.25x); 1-hour cache writes (2x) are not distinguished in usage, so they are under-priced.
  // Dotted aliases are the spellings OpenAI-compatible gateways use.
  { provider: 'anthropic', model: 'claude-opus-4-5', effective_from: '2025-11-24', input: '5', cached_input: '0.50', cache_write: '6.25', output: '25', aliases: ['claude-opus-4.5'] },
  { provider: 'anthropic', model: 'claude-opus-4-1', effective_from: '2025-08-05', input: '15', cached_input: '1.50', cache_write: '18.75', output: '75', aliases: ['claude-opus-4.1'] },
  { provider: 'anthropic', model: 'claude-opus-4', effective_from: '2025-05-22', input: '15', cached_input: '1.50', cache_write: '18.75', output: '75', aliases: ['claude-opus-4-0'] },
  {
    provider: 'anthropic', model: 'claude-sonnet-4-5', effective_from: '2025-09-29', input: '3', cached_input: '0.30', cache_write: '3.75', output: '15',
    tiers: SONNET_LONG_CONTEXT, aliases: ['claude-sonnet-4.5'],
  },
  {
    provider: 'anthropic', model: 'claude-sonnet-4', effective_from: '2025-05-22', input: '3', cached_input: '0.30', cache_write: '3.75', output: '15',
    tiers: SONNET_LONG_CONTEXT, aliases: ['claude-sonnet-4-0'],
  },
  { provider: 'anthropic', model: 'claude-3-7-sonnet', effective_from: '2025-02-24', input: '3', cached_input: '0.30', cache_write: '3.75', output: '15', aliases: ['claude-3.7-sonnet', 'claude-3-7-sonnet-latest'] },
  { provider: 'anthropic', model: 'claude-haiku-4-5', effective_from: '2025-10-15', input: '1', cached_input: '0.10', cache_write: '1.25', output: '5', aliases: ['claude-haiku-4.5'] },
  { provider: 'anthropic', model: 'claude-3-5-haiku', effective_from: '2024-11-04', input: '0.80', cached_input: '0.08', cache_write: '1', output: '4', aliases: ['claude-3.5-haiku', 'claude-3-5-haiku-latest'] },

  // Google, text/image/video input (audio input costs more and is not distinguished in usage).
  // Cached rates are the current context-cache read list prices (storage per hour is not per call);
  // explicit cache creation has no premium, so cache_write defaults to the input rate.
  {
    provider: 'google', model: 'gemini-2.5-pro', effective_from: '2025-06-17', input: '1.25', cached_input: '0.125', output: '10',
    tiers: [{ name: 'long_context', above_input_tokens: 200_000, input: '2.50', cached_input: '0.25', output: '15' }],
  },
  { provider: 'google', model: 'gemini-2.5-flash', effective_from: '2025-06-17', input: '0.30', cached_input: '0.03', output: '2.50' },
  { provider: 'google', model: 'gemini-2.5-flash-lite', effective_from: '2025-07-22', input: '0.10', cached_input: '0.01', output: '0.40' },
  { provider: 'google', model: 'gemini-2.0-flash', effective_from: '2025-02-05', input: '0.10', cached_input: '0.025', output: '0.40', aliases: ['gemini-2.0-flash-001'] },
];

/** Validated once at module load: a typo in the table fails every import, not a billing run. */
export const BUILT_IN_PRICES: readonly PriceEntry[] = Object.freeze(priceListSchema.parse(ENTRIES));
