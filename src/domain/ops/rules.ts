/**
 * The ops rules: pure functions over one metrics snapshot (and, for the noisy-tenant rule, how many
 * samples in a row it has already seen). Each yields a finding with the evidence, or nothing.
 * Thresholds are strict ("more than"), except the budget, which warns and acts *at* its marks.
 */
import type { OpsAction, OpsPolicy, RuleName } from './policy';
import type { AppSample, MetricsSnapshot } from './snapshot';

export interface Finding {
  rule: RuleName;
  app_id: string;
  /** `warn` only notifies; `act` runs the rule's playbook. */
  severity: 'warn' | 'act';
  summary: string;
  evidence: Record<string, number | string>;
  proposed_action: OpsAction;
}

/** Consecutive samples each app has been over the noisy-tenant share (carried by the monitor). */
export type Streaks = Record<string, number>;

export function noisyTenant(
  app: AppSample,
  totalActiveRuns: number,
  policy: OpsPolicy,
  streakBefore: number,
): { finding?: Finding; streak: number } {
  const rule = policy.rules.noisy_tenant;
  const share = totalActiveRuns > 0 ? app.active_runs / totalActiveRuns : 0;
  const over = rule.enabled && app.active_runs >= rule.min_active_runs && share > rule.share;
  const streak = over ? streakBefore + 1 : 0;
  if (!over || streak < rule.consecutive_samples) return { streak };
  return {
    streak,
    finding: {
      rule: 'noisy_tenant',
      app_id: app.app_id,
      severity: 'act',
      summary: `${app.app_id} holds ${pct(share)} of active runs (${app.active_runs}/${totalActiveRuns}) for ${streak} samples`,
      evidence: {
        active_runs: app.active_runs,
        total_active_runs: totalActiveRuns,
        share: round(share),
        threshold_share: rule.share,
        consecutive_samples: streak,
      },
      proposed_action: rule.action,
    },
  };
}

export function errorSpike(app: AppSample, policy: OpsPolicy): Finding | undefined {
  const rule = policy.rules.error_spike;
  const { turns, errors } = app.window;
  if (!rule.enabled || turns < rule.min_turns) return undefined;
  const rate = errors / turns;
  if (rate <= rule.error_rate) return undefined;
  return {
    rule: 'error_spike',
    app_id: app.app_id,
    severity: 'act',
    summary: `${app.app_id}: ${errors} of ${turns} turns failed (${pct(rate)}) in the last ${app.window_minutes} min`,
    evidence: { errors, turns, error_rate: round(rate), threshold_rate: rule.error_rate, window_minutes: app.window_minutes },
    proposed_action: rule.action,
  };
}

export function burnSpike(app: AppSample, policy: OpsPolicy): Finding | undefined {
  const rule = policy.rules.burn_spike;
  if (!rule.enabled || app.window_minutes <= 0 || app.baseline_minutes <= 0) return undefined;
  const windowTokens = app.window.input_tokens + app.window.output_tokens;
  const baselineTokens = app.baseline.input_tokens + app.baseline.output_tokens;
  // A new app has no baseline to compare with: no spike can be claimed yet.
  if (baselineTokens === 0 || windowTokens < rule.min_tokens) return undefined;
  const rate = windowTokens / app.window_minutes;
  const baselineRate = baselineTokens / app.baseline_minutes;
  if (rate <= rule.factor * baselineRate) return undefined;
  return {
    rule: 'burn_spike',
    app_id: app.app_id,
    severity: 'act',
    summary: `${app.app_id} burns ${Math.round(rate)} tokens/min, ${round(rate / baselineRate)}× its baseline of ${Math.round(baselineRate)}`,
    evidence: {
      tokens_per_minute: Math.round(rate),
      baseline_tokens_per_minute: round(baselineRate),
      factor: round(rate / baselineRate),
      threshold_factor: rule.factor,
      window_cost_nanos: app.window.cost_nanos,
    },
    proposed_action: rule.action,
  };
}

export function budget(app: AppSample, policy: OpsPolicy): Finding | undefined {
  const rule = policy.rules.budget;
  if (!rule.enabled || app.budget_nanos === null) return undefined;
  const used = app.budget_nanos === 0 ? (app.month_cost_nanos > 0 ? Infinity : 1) : app.month_cost_nanos / app.budget_nanos;
  if (used < rule.warn_ratio) return undefined;
  const exhausted = used >= 1;
  return {
    rule: 'budget',
    app_id: app.app_id,
    severity: exhausted ? 'act' : 'warn',
    summary: exhausted
      ? `${app.app_id} has spent its monthly budget; new turns are refused`
      : `${app.app_id} has spent ${pct(used)} of its monthly budget`,
    evidence: {
      month_cost_nanos: app.month_cost_nanos,
      budget_nanos: app.budget_nanos,
      used_ratio: Number.isFinite(used) ? round(used) : 'inf',
      warn_ratio: rule.warn_ratio,
    },
    proposed_action: exhausted ? rule.action : 'notify',
  };
}

/** Every rule over every app of the snapshot. */
export function evaluate(
  snapshot: MetricsSnapshot,
  policyFor: (appId: string) => OpsPolicy,
  streaks: Streaks,
): { findings: Finding[]; streaks: Streaks } {
  const findings: Finding[] = [];
  const next: Streaks = {};
  for (const app of snapshot.apps) {
    const policy = policyFor(app.app_id);
    const noisy = noisyTenant(app, snapshot.total_active_runs, policy, streaks[app.app_id] ?? 0);
    if (noisy.streak > 0) next[app.app_id] = noisy.streak;
    for (const finding of [noisy.finding, errorSpike(app, policy), burnSpike(app, policy), budget(app, policy)]) {
      if (finding) findings.push(finding);
    }
  }
  return { findings, streaks: next };
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
