/** HTTP shapes of the ops routes (`/v1/ops/…`; incidents in ./incidents) and the metrics endpoints. */
import { z } from 'zod';
import { appIdSchema } from '../apps';
import { AUTONOMY, INCIDENT_STATUSES, OPS_ACTIONS, opsPolicyOverridesSchema, opsPolicySchema, RULES } from '../ops';

export const policyParams = z.strictObject({
  app_id: z.union([appIdSchema, z.literal('_default')]).describe('An app, or `_default` for the stored default'),
});

export const policyView = z.object({
  app_id: z.string(),
  overrides: opsPolicyOverridesSchema.describe('What is stored for this app (or the default)'),
  effective: opsPolicySchema.describe('In force: the built-in default, the stored default, then these overrides'),
});

const step = z.object({
  step_id: z.string(),
  kind: z.string(),
  at: z.string(),
  action: z.string().optional(),
  actor: z.string().optional(),
  detail: z.string().optional(),
});

export const incidentView = z.object({
  incident_id: z.string(),
  app_id: z.string(),
  rule: z.enum(RULES),
  status: z.enum(INCIDENT_STATUSES),
  opened_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  closed_at: z.iso.datetime().optional(),
  finding: z.object({ summary: z.string(), severity: z.string(), evidence: z.record(z.string(), z.union([z.number(), z.string()])) }),
  plan: z.object({
    rule: z.enum(RULES),
    action: z.enum(OPS_ACTIONS),
    fallback_action: z.enum(OPS_ACTIONS),
    escalation_action: z.enum(OPS_ACTIONS),
    autonomy: z.enum(AUTONOMY),
    promoted: z.boolean().describe('An approval rule promoted to automatic after consecutive approvals'),
    ttl_seconds: z.number(),
    approval_timeout_seconds: z.number(),
    max_escalations: z.number(),
    throttle_factor: z.number(),
  }),
  alerts: z.number(),
  summary: z.string().optional(),
  summary_source: z.enum(['llm', 'plain']).optional(),
  suggested_action: z.string().optional(),
  decision: z.string().optional(),
  steps: z.array(step),
});


export const activeRunsView = z.object({ total: z.number(), apps: z.record(z.string(), z.number()) });

export const perfQuery = z.strictObject({
  minutes: z.coerce.number().int().min(1).max(48 * 60).default(60),
});

const appPerf = z.object({
  app_id: z.string(),
  active_runs: z.number(),
  turns: z.number(),
  errors: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
  llm_calls: z.number(),
  throttle_factor: z.number().nullable(),
  paused_by_ops: z.boolean(),
  month_spent_usd: z.number(),
  month_budget_usd: z.number().nullable(),
});
export const perfAggregateView = z.object({ from: z.iso.datetime(), to: z.iso.datetime(), apps: z.array(appPerf) });

export const perfChatsQuery = z.strictObject({
  app_id: appIdSchema,
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const perfChatsView = z.object({
  app_id: z.string(),
  chats: z.array(z.object({
    chat_id: z.string(),
    status: z.string(),
    turn_count: z.number(),
    updated_at: z.iso.datetime(),
    input_tokens: z.number(),
    output_tokens: z.number(),
    cost_usd: z.number(),
  })),
});
