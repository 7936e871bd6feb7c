/** HTTP shapes of the apps routes (`/v1/apps…`). */
import { z } from 'zod';
import { storableText } from '../text/storable';
import { allowedOriginsSchema, appIdSchema, appLimitsSchema, identityProviderSchema, MAX_ALLOWED_ORIGINS, TIERS } from '../apps';

export const appIdParams = z.strictObject({ app_id: appIdSchema });

export const createAppBody = z.strictObject({
  app_id: appIdSchema,
  name: storableText().trim().min(1).max(200),
  tier: z.enum(TIERS).default('free'),
  limits: appLimitsSchema.partial().optional(),
  allowed_origins: allowedOriginsSchema.optional(),
});

export const patchAppBody = z
  .strictObject({
    name: storableText().trim().min(1).max(200).optional(),
    tier: z.enum(TIERS).optional(),
    limits: appLimitsSchema.partial().optional(),
    paused: z.boolean().optional().describe('A paused app is refused new turns (503)'),
    identity_provider: identityProviderSchema.nullable().optional().describe('null removes it'),
    allowed_origins: allowedOriginsSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change')
  .describe('At least one field (an empty object is 400); fields left out are kept');

export const appView = z.object({
  app_id: z.string(),
  name: z.string(),
  tier: z.enum(TIERS),
  limits: appLimitsSchema.describe('In force: the tier defaults with this app overrides'),
  limit_overrides: appLimitsSchema.partial(),
  paused: z.boolean(),
  identity_provider: identityProviderSchema.optional(),
  allowed_origins: z
    .array(z.string())
    .max(MAX_ALLOWED_ORIGINS)
    .describe('Origins whose pages may call the browser routes with this app\'s runtime tokens (canonical form)'),
  key_rotated_at: z.iso.datetime(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const appKeyView = z.object({
  app_id: z.string(),
  api_key: z.string().describe('Shown once: only a digest is stored'),
});

export const createdAppView = appView.extend(appKeyView.shape);
