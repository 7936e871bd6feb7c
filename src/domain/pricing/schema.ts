/**
 * Shape of a price entry, shared by the built-in table and by operator overrides so both are
 * checked by the same rules. Prices are USD per million tokens, as providers publish them.
 */
import { z } from 'zod';
import { NANOS_PER_USD, usdToNanos } from './money';

/**
 * Highest accepted price, $1,000 per million tokens. Together with the per-call token cap in
 * cost.ts it keeps every cost below Number.MAX_SAFE_INTEGER nano-dollars, so results stay plain
 * JSON numbers (Temporal payloads cannot carry BigInt).
 */
export const MAX_USD_PER_MILLION_TOKENS = 1000;
const MAX_NANOS_PER_MILLION = BigInt(MAX_USD_PER_MILLION_TOKENS) * NANOS_PER_USD;

/** Name the base rates report as their tier; reserved so a tier cannot shadow it. */
export const STANDARD_TIER = 'standard';

const usdPerMillion = z
  .union([z.string(), z.number()], { error: 'must be a USD amount per million tokens (decimal string or number)' })
  .superRefine((value, ctx) => {
    let nanos: bigint;
    try {
      nanos = usdToNanos(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (nanos < 0n) ctx.addIssue({ code: 'custom', message: 'price must not be negative' });
    if (nanos > MAX_NANOS_PER_MILLION) {
      ctx.addIssue({ code: 'custom', message: `price above $${MAX_USD_PER_MILLION_TOKENS} per million tokens` });
    }
  });

const modelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^\S+$/, 'model names must not contain whitespace');

// Omitted cached/cache-write rates mean "no discount, no premium": those tokens cost the input rate.
const rateFields = {
  input: usdPerMillion,
  cached_input: usdPerMillion.optional(),
  cache_write: usdPerMillion.optional(),
  output: usdPerMillion,
};

export const priceTierSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]{1,40}$/, 'tier names are 1-40 of a-z 0-9 _'),
  /** The tier applies to the whole call when its input (prompt) tokens exceed this. */
  above_input_tokens: z.number().int().nonnegative(),
  ...rateFields,
});

export const priceEntrySchema = z
  .strictObject({
    provider: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'provider is lowercase letters, digits, . _ -'),
    model: modelName,
    /** First UTC day this price applies; it stays in effect until a later entry for the model. */
    effective_from: z.iso.date(),
    ...rateFields,
    tiers: z.array(priceTierSchema).optional(),
    /** Other names callers use for this model (gateway spellings, "-latest" pointers). */
    aliases: z.array(modelName).optional(),
    note: z.string().max(500).optional(),
  })
  .superRefine((entry, ctx) => {
    const seen = new Set<string>();
    let previous = -1;
    for (const [index, tier] of (entry.tiers ?? []).entries()) {
      if (tier.name === STANDARD_TIER || seen.has(tier.name)) {
        ctx.addIssue({ code: 'custom', path: ['tiers', index, 'name'], message: `tier name '${tier.name}' is reserved or repeated` });
      }
      seen.add(tier.name);
      // Ascending thresholds let the cost code take the last tier whose threshold is passed.
      if (tier.above_input_tokens <= previous) {
        ctx.addIssue({ code: 'custom', path: ['tiers', index, 'above_input_tokens'], message: 'tier thresholds must increase' });
      }
      previous = tier.above_input_tokens;
    }
  });

/** A list of entries: one per model and effective date, aliases unambiguous. */
export const priceListSchema = z.array(priceEntrySchema).superRefine((entries, ctx) => {
  const byDate = new Map<string, number>();
  const models = new Set(entries.map((entry) => entry.model));
  const aliasTarget = new Map<string, string>();
  for (const [index, entry] of entries.entries()) {
    const key = `${entry.model}@${entry.effective_from}`;
    const first = byDate.get(key);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'effective_from'],
        message: `model '${entry.model}' already has a price effective ${entry.effective_from} (entry ${first})`,
      });
    } else {
      byDate.set(key, index);
    }
    for (const [aliasIndex, alias] of (entry.aliases ?? []).entries()) {
      const target = aliasTarget.get(alias);
      if (models.has(alias)) {
        ctx.addIssue({ code: 'custom', path: [index, 'aliases', aliasIndex], message: `alias '${alias}' is itself a model name` });
      } else if (target !== undefined && target !== entry.model) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'aliases', aliasIndex],
          message: `alias '${alias}' already names model '${target}'`,
        });
      } else {
        aliasTarget.set(alias, entry.model);
      }
    }
  }
});

export type PriceTier = z.infer<typeof priceTierSchema>;
export type PriceEntry = z.infer<typeof priceEntrySchema>;
