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

/** Apps per page of `GET /v1/apps`. */
export const APP_PAGE_DEFAULT = 50;
export const APP_PAGE_MAX = 200;
export const APP_ORDERS = ['newest', 'app_id'] as const;
export type AppOrder = (typeof APP_ORDERS)[number];

export const appListQuery = z.strictObject({
  order: z.enum(APP_ORDERS).default('newest').describe('`newest`: newest first (creation time); `app_id`: by app id'),
  limit: z.coerce.number().int().min(1).max(APP_PAGE_MAX).default(APP_PAGE_DEFAULT).describe(`Apps per page (at most ${APP_PAGE_MAX})`),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a `next_cursor` this API returned')
    .optional()
    .describe('Opaque: the previous page `next_cursor`, with the same `order`'),
});

export const appOpsView = z
  .object({
    state: z.enum(['running', 'paused', 'throttled']).describe('paused (by an operator or the autopilot) wins over throttled'),
    paused_by_ops: z.boolean().describe('Paused by the ops autopilot (apart from `paused`, set by an operator)'),
    throttle_factor: z.number().nullable().describe('Limits and fairness weight times this while a throttle is in force'),
    throttle_expires_at: z.iso.datetime().nullable(),
    throttle_source: z.enum(['autopilot', 'manual']).nullable(),
  })
  .describe('The ops levers in force on the app');

export const appBudgetView = z.object({
  monthly_budget_usd: z.number().nullable().describe("From the app's ops policy (`PUT /v1/ops/policies/:app_id`); null: none"),
  month_spent_usd: z.number().describe('Spent this calendar month (UTC)'),
});

export const appDetailView = appView.extend({ ops: appOpsView, budget: appBudgetView });

export const appListView = z.object({
  apps: z.array(appDetailView),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null: no more'),
});

/** Where a page of `GET /v1/apps` ended: the last app's creation time and id. */
export interface AppListPosition {
  order: AppOrder;
  created_at: Date;
  app_id: string;
}

export function encodeAppCursor(position: AppListPosition): string {
  return Buffer.from(JSON.stringify([1, position.order, position.created_at.toISOString(), position.app_id]), 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this API issued for this order. */
export function decodeAppCursor(cursor: string, order: AppOrder): AppListPosition | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
  const [version, given, at, appId] = parsed as unknown[];
  if (version !== 1 || given !== order || typeof at !== 'string' || typeof appId !== 'string' || !appIdSchema.safeParse(appId).success) return undefined;
  const createdAt = new Date(at);
  if (!Number.isFinite(createdAt.getTime())) return undefined;
  return { order, created_at: createdAt, app_id: appId };
}

/** The largest hand-applied throttle, in minutes (a day): the autopilot's own expire sooner. */
export const MAX_THROTTLE_MINUTES = 24 * 60;

export const throttleBody = z.strictObject({
  factor: z.number().gt(0).lt(1).describe('Limits and fairness weight times this (0 < factor < 1), as the autopilot throttles'),
  minutes: z.number().int().min(1).max(MAX_THROTTLE_MINUTES).describe('The throttle lets go on its own after this'),
  reason: storableText().trim().min(1).max(500).describe('Why, for the audit log'),
});

export const throttleView = z.object({
  app_id: z.string(),
  factor: z.number(),
  expires_at: z.iso.datetime(),
});
