/**
 * Ops policies: the default every app gets, and the per-app overrides an admin stores
 * (`PUT /v1/ops/policies/:app_id`). Thresholds, the sample window, the actions each rule may take,
 * autonomy per rule, promotion, and the monthly budget. Pure shapes and the merge; storing them is
 * `src/stores/ops-policies.ts`'s job.
 */
import { z } from 'zod';
import { DEFAULT_NOTIFICATION_POLICY, notificationPolicySchema, type NotifyRouteRule } from './notify';

export const OPS_ACTIONS = ['throttle', 'pause', 'disable_pack', 'notify'] as const;
export type OpsAction = (typeof OPS_ACTIONS)[number];
export const RULES = ['noisy_tenant', 'error_spike', 'burn_spike', 'budget'] as const satisfies readonly NotifyRouteRule[];
export type RuleName = (typeof RULES)[number];
export const AUTONOMY = ['shadow', 'approval', 'automatic'] as const;
export type Autonomy = (typeof AUTONOMY)[number];

const action = z.enum(OPS_ACTIONS);
const autonomy = z.enum(AUTONOMY);

/** What every rule shares: whether it runs, how much it may do alone, and its playbook. */
const playbookFields = {
  enabled: z.boolean().describe('Whether the rule is evaluated'),
  autonomy: autonomy.describe('shadow: record only; approval: ask an admin; automatic: act'),
  action: action.describe('The action the rule proposes'),
  fallback_action: action.describe('Taken when an approval times out (a reversible, safer action)'),
  escalation_action: action.describe('Taken when the condition persists past the action’s TTL'),
  ttl_seconds: z.number().int().min(1).max(7 * 86_400).describe('Temporary actions revert after this long'),
};

export const opsPolicySchema = z.strictObject({
  sample_interval_seconds: z.number().int().min(1).max(3600).describe('Fast loop: seconds between samples'),
  rate_window_seconds: z.number().int().min(60).max(3600).describe('Window of the error and burn rules'),
  baseline_window_seconds: z.number().int().min(120).max(7 * 86_400).describe('Trailing baseline of the burn rule'),
  allowed_actions: z.array(action).describe('Actions any rule may take for this app'),
  approval_timeout_seconds: z.number().int().min(1).max(7 * 86_400).describe('How long an approval waits'),
  max_escalations: z.number().int().min(0).max(10),
  promotion_after_approvals: z
    .number().int().min(1).max(100).nullable()
    .describe('An approval rule whose last N proposals were all approved acts automatically; null: never'),
  monthly_budget_usd: z.number().min(0).max(1e9).nullable().describe('LLM spend per calendar month (UTC); null: none'),
  notifications: notificationPolicySchema.describe('Who is told: routes per rule, severity and event; escalation; spend thresholds'),
  rules: z.strictObject({
    noisy_tenant: z.strictObject({
      ...playbookFields,
      share: z.number().gt(0).lt(1).describe('More than this share of all active runs …'),
      min_active_runs: z.number().int().min(1).describe('… while holding at least this many'),
      consecutive_samples: z.number().int().min(1).max(100).describe('… for this many samples in a row'),
      throttle_factor: z.number().gt(0).max(1).describe('Throttle: limits and fairness weight times this'),
    }),
    error_spike: z.strictObject({
      ...playbookFields,
      error_rate: z.number().gt(0).max(1).describe('Errors per turn above this …'),
      min_turns: z.number().int().min(1).describe('… over at least this many turns in the window'),
    }),
    burn_spike: z.strictObject({
      ...playbookFields,
      factor: z.number().gt(1).describe('Tokens per minute above this many times the baseline'),
      min_tokens: z.number().int().min(1).describe('… with at least this many tokens in the window'),
    }),
    budget: z.strictObject({
      ...playbookFields,
      warn_ratio: z.number().gt(0).lt(1).describe('Warn (notify) at this share of the budget; act at 100%'),
    }),
  }),
});
export type OpsPolicy = z.infer<typeof opsPolicySchema>;
export type RulePolicy<R extends RuleName = RuleName> = OpsPolicy['rules'][R];

/** Deep-partial overrides as stored per app (every field optional, rules merged one by one). */
export const opsPolicyOverridesSchema = opsPolicySchema.extend({
  notifications: notificationPolicySchema.partial().optional(),
  rules: z.strictObject({
    noisy_tenant: opsPolicySchema.shape.rules.shape.noisy_tenant.partial().optional(),
    error_spike: opsPolicySchema.shape.rules.shape.error_spike.partial().optional(),
    burn_spike: opsPolicySchema.shape.rules.shape.burn_spike.partial().optional(),
    budget: opsPolicySchema.shape.rules.shape.budget.partial().optional(),
  }).partial(),
}).partial();
export type OpsPolicyOverrides = z.infer<typeof opsPolicyOverridesSchema>;

export const DEFAULT_OPS_POLICY: OpsPolicy = {
  sample_interval_seconds: 2,
  rate_window_seconds: 300,
  baseline_window_seconds: 3600,
  allowed_actions: [...OPS_ACTIONS],
  approval_timeout_seconds: 900,
  max_escalations: 2,
  promotion_after_approvals: 3,
  monthly_budget_usd: null,
  notifications: DEFAULT_NOTIFICATION_POLICY,
  rules: {
    noisy_tenant: {
      enabled: true, autonomy: 'automatic', action: 'throttle', fallback_action: 'throttle', escalation_action: 'throttle',
      ttl_seconds: 300, share: 0.6, min_active_runs: 8, consecutive_samples: 2, throttle_factor: 0.25,
    },
    error_spike: {
      enabled: true, autonomy: 'automatic', action: 'pause', fallback_action: 'notify', escalation_action: 'pause',
      ttl_seconds: 120, error_rate: 0.5, min_turns: 20,
    },
    burn_spike: {
      enabled: true, autonomy: 'approval', action: 'throttle', fallback_action: 'notify', escalation_action: 'pause',
      ttl_seconds: 900, factor: 5, min_tokens: 50_000,
    },
    budget: {
      enabled: true, autonomy: 'automatic', action: 'notify', fallback_action: 'notify', escalation_action: 'notify',
      ttl_seconds: 3600, warn_ratio: 0.8,
    },
  },
};

/** The policy in force for an app: the default with the app's overrides on top. */
export function effectivePolicy(overrides: OpsPolicyOverrides = {}, base: OpsPolicy = DEFAULT_OPS_POLICY): OpsPolicy {
  const { rules = {}, notifications = {}, ...top } = overrides;
  return {
    ...base,
    ...top,
    notifications: { ...base.notifications, ...notifications },
    rules: {
      noisy_tenant: { ...base.rules.noisy_tenant, ...rules.noisy_tenant },
      error_spike: { ...base.rules.error_spike, ...rules.error_spike },
      burn_spike: { ...base.rules.burn_spike, ...rules.burn_spike },
      budget: { ...base.rules.budget, ...rules.budget },
    },
  };
}

/** Actions in nano-dollars: the budget as the integer money of DESIGN §4. */
export function budgetNanos(policy: OpsPolicy): number | null {
  return policy.monthly_budget_usd === null ? null : Math.round(policy.monthly_budget_usd * 1e9);
}
