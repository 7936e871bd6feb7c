/**
 * Playbook decisions, pure so the remediation workflow and its tests share them: which action an
 * incident may take, at which autonomy (with promotion), and the plain summary written when no
 * LLM explanation is available.
 */
import type { Finding } from './rules';
import type { Autonomy, OpsAction, OpsPolicy, RuleName } from './policy';

export type Decision = 'approved' | 'rejected' | 'timed_out';

export interface PlaybookPlan {
  rule: RuleName;
  action: OpsAction;
  fallback_action: OpsAction;
  escalation_action: OpsAction;
  autonomy: Autonomy;
  /** The rule was in `approval` and its last N proposals were all approved. */
  promoted: boolean;
  ttl_seconds: number;
  approval_timeout_seconds: number;
  max_escalations: number;
  /** Throttle: limits and fairness weight are multiplied by this. */
  throttle_factor: number;
  /** An approval still waiting this long notifies the escalation channels (absent in plans made
   * before notifications; null: never). */
  approval_escalate_after_seconds?: number | null;
}

/** An action the policy does not allow becomes `notify` (or, if even that is not allowed, shadow). */
export function allowedAction(action: OpsAction, policy: OpsPolicy): OpsAction | undefined {
  if (policy.allowed_actions.includes(action)) return action;
  return policy.allowed_actions.includes('notify') ? 'notify' : undefined;
}

export function promotedAutonomy(
  autonomy: Autonomy,
  recentDecisions: readonly Decision[],
  promotionAfter: number | null,
): { autonomy: Autonomy; promoted: boolean } {
  if (autonomy !== 'approval' || promotionAfter === null) return { autonomy, promoted: false };
  const last = recentDecisions.slice(-promotionAfter);
  const promoted = last.length === promotionAfter && last.every((decision) => decision === 'approved');
  return promoted ? { autonomy: 'automatic', promoted: true } : { autonomy, promoted: false };
}

export function planPlaybook(finding: Finding, policy: OpsPolicy, recentDecisions: readonly Decision[]): PlaybookPlan {
  const rule = policy.rules[finding.rule];
  const action = allowedAction(finding.proposed_action, policy);
  const { autonomy, promoted } = action
    ? promotedAutonomy(rule.autonomy, recentDecisions, policy.promotion_after_approvals)
    : { autonomy: 'shadow' as const, promoted: false };
  return {
    rule: finding.rule,
    action: action ?? 'notify',
    fallback_action: allowedAction(rule.fallback_action, policy) ?? 'notify',
    escalation_action: allowedAction(rule.escalation_action, policy) ?? 'notify',
    autonomy,
    promoted,
    ttl_seconds: rule.ttl_seconds,
    approval_timeout_seconds: policy.approval_timeout_seconds,
    max_escalations: policy.max_escalations,
    throttle_factor: finding.rule === 'noisy_tenant' ? policy.rules.noisy_tenant.throttle_factor : DEFAULT_THROTTLE_FACTOR,
    approval_escalate_after_seconds: policy.notifications.escalation_channels.length > 0 ? policy.notifications.escalate_after_seconds : null,
  };
}

const DEFAULT_THROTTLE_FACTOR = 0.5;

/** The summary written when the LLM is down or answers outside the allowed list. */
export function plainSummary(finding: Finding, plan: PlaybookPlan): string {
  const evidence = Object.entries(finding.evidence).map(([key, value]) => `${key}=${value}`).join(', ');
  const how = plan.autonomy === 'shadow'
    ? `shadow mode: would ${plan.action}`
    : plan.autonomy === 'approval'
      ? `${plan.action} proposed, waiting for approval`
      : `${plan.action} applied automatically${plan.promoted ? ' (promoted after consecutive approvals)' : ''}`;
  return `${finding.summary}. Evidence: ${evidence}. Playbook: ${how}; reverts after ${plan.ttl_seconds}s.`;
}

/** Reads the LLM's suggestion: accepted only when it names exactly one allowed action. */
export function parseSuggestion(text: string, allowed: readonly OpsAction[]): OpsAction | undefined {
  const match = /suggested[_ ]playbook\s*[:=]\s*([a-z_]+)/i.exec(text);
  const named = match?.[1]?.toLowerCase();
  return named && (allowed as readonly string[]).includes(named) ? (named as OpsAction) : undefined;
}
