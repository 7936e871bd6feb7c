/**
 * An app (tenant): its id, tier, limits and admission state. Pure shapes and defaults; storing them
 * is `src/stores/app-registry.ts`'s job, checking a request against them `src/stores/admission.ts`'s.
 */
import { z } from 'zod';

/** Lowercase slug: it appears in workflow ids, Redis keys and app keys, so no `:`, `.` or `/`. */
export const APP_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const appIdSchema = z
  .string()
  .regex(APP_ID_PATTERN, 'must be 1-63 lowercase letters, digits or inner dashes')
  .describe('The app (tenant) id');

export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export const appLimitsSchema = z.strictObject({
  max_concurrent_turns: z.number().int().min(1).max(100_000).describe('Turns admitted and not yet finished, across every API replica'),
  turns_per_minute: z.number().int().min(1).max(1_000_000).describe('Turns admitted per calendar minute'),
});
export type AppLimits = z.infer<typeof appLimitsSchema>;

export const TIER_LIMITS: Record<Tier, AppLimits> = {
  free: { max_concurrent_turns: 5, turns_per_minute: 60 },
  pro: { max_concurrent_turns: 50, turns_per_minute: 1_000 },
  enterprise: { max_concurrent_turns: 500, turns_per_minute: 10_000 },
};

/** An app's own identity provider (e.g. Keycloak), trusted for the `X-Tessera-Actor` header. */
export const identityProviderSchema = z.strictObject({
  jwks_url: z.url({ protocol: /^https?$/ }).max(2000).describe('Where the provider publishes its signing keys'),
  issuer: z.string().min(1).max(2000).describe('The `iss` claim its tokens carry'),
  audience: z.string().min(1).max(2000).optional().describe('The `aud` claim required, when set'),
  tenant_claim: z.string().min(1).max(200).optional().describe('Claim holding the tenant (default `tenant`)'),
});
export type IdentityProvider = z.infer<typeof identityProviderSchema>;

/** What every process needs to know about an app on each request (cached in Redis). */
export interface AppState {
  app_id: string;
  tier: Tier;
  limits: AppLimits;
  paused: boolean;
  /** Keyed SHA-256 of the current app key (hex). */
  key_digest: string;
  identity_provider?: IdentityProvider;
  /** Origins whose pages may use the app's runtime tokens (canonical; absent in copies cached
   * before the field existed: none). */
  allowed_origins?: string[];
}

/** Limits in force: the tier's defaults with the app's own overrides on top. */
export function effectiveLimits(tier: Tier, overrides: Partial<AppLimits> = {}): AppLimits {
  return { ...TIER_LIMITS[tier], ...overrides };
}
