/**
 * An app as the admin's list and the app's own read show it (`GET /v1/apps`, `GET /v1/apps/:app_id`):
 * its settings, the ops levers in force on it (a throttle, by the autopilot or by hand, and a pause
 * by the autopilot, from the same Redis keys the admission script reads) and its monthly budget
 * (the ops policy's, with this month's spend).
 */
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { appDetailView, appView } from '../domain/api/apps';
import { nanosToUsd } from '../domain/pricing';
import { toState, type AppDoc } from '../stores/app-registry';
import { Budgets, budgetScopes } from '../stores/budgets';
import { opsControlKeys, OpsControls } from '../stores/ops-controls';
import type { OpsPolicies } from '../stores/ops-policies';

/** The incident id a throttle applied by hand carries (`POST /v1/ops/apps/:app_id/throttle`). */
export const MANUAL_THROTTLE_PREFIX = 'manual:';

export function appSettingsView(doc: AppDoc): z.infer<typeof appView> {
  return {
    app_id: doc.app_id,
    name: doc.name,
    tier: doc.tier,
    limits: toState(doc).limits,
    limit_overrides: doc.limit_overrides,
    paused: doc.paused,
    ...(doc.identity_provider ? { identity_provider: doc.identity_provider } : {}),
    allowed_origins: doc.allowed_origins ?? [],
    key_rotated_at: doc.key_rotated_at.toISOString(),
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export class AppDetails {
  private readonly controls: OpsControls;
  private readonly budgets: Budgets;

  constructor(
    private readonly redis: Redis,
    private readonly policies: OpsPolicies,
  ) {
    this.controls = new OpsControls(redis);
    this.budgets = new Budgets(redis);
  }

  async view(doc: AppDoc, now: Date): Promise<z.infer<typeof appDetailView>> {
    const appId = doc.app_id;
    const [levers, throttleTtlMs, policy, month] = await Promise.all([
      this.controls.state(appId),
      this.redis.pttl(opsControlKeys.throttle(appId)),
      this.policies.effective(appId),
      this.budgets.status(budgetScopes.appMonth(appId, now)),
    ]);
    const throttle = levers.throttle && levers.throttle.factor < 1 ? levers.throttle : undefined;
    return {
      ...appSettingsView(doc),
      ops: {
        state: doc.paused || levers.paused ? 'paused' : throttle ? 'throttled' : 'running',
        paused_by_ops: levers.paused,
        throttle_factor: throttle?.factor ?? null,
        throttle_expires_at: throttle && throttleTtlMs > 0 ? new Date(now.getTime() + throttleTtlMs).toISOString() : null,
        throttle_source: throttle ? (throttle.incident_id.startsWith(MANUAL_THROTTLE_PREFIX) ? 'manual' : 'autopilot') : null,
      },
      budget: { monthly_budget_usd: policy.monthly_budget_usd, month_spent_usd: nanosToUsd(month.spentNanos) },
    };
  }
}
