/**
 * The monitor's activities: one metrics sample of every app, read from Redis (right across every
 * replica), with each app's policy; and raising alerts as signal-with-start of `remediation`, so a
 * repeated alert joins the open incident instead of opening a second one.
 */
import { budgetNanos, crossedThresholds, emptyWindow, spendNotificationId, type AppSample, type Finding, type MetricsSnapshot, type OpsPolicy, type WindowTotals } from '../../domain/ops';
import { AppCounters, type CounterTotals } from '../../stores/app-counters';
import { Budgets, budgetScopes } from '../../stores/budgets';
import { OpsPolicies } from '../../stores/ops-policies';
import { alertSignal, type RemediationWorkflow } from '../../workflows/ops-contract';
import { SA, workflowIds } from '../../workflows/contract';
import type { OpsActivityDeps } from './context';
import { createDispatcher } from './notify';

/** A spend alert's claim outlives its month (a month is at most 31 days). */
const SPEND_CLAIM_MS = 40 * 86_400_000;

const POLICY_CACHE_MS = 5_000;

export interface Sample {
  snapshot: MetricsSnapshot;
  policies: Record<string, OpsPolicy>;
}

export function monitorActivities(deps: OpsActivityDeps) {
  const counters = new AppCounters(deps.redis);
  const budgets = new Budgets(deps.redis);
  const policies = new OpsPolicies(deps.mongo, deps.redis);
  const cache = new Map<string, { policy: OpsPolicy; at: number }>();
  const now = deps.now ?? (() => new Date());
  const dispatcher = createDispatcher(deps);

  /**
   * Budget thresholds (the policy's `spend_thresholds`): each notifies once per app, month and
   * threshold, on every replica together — the first to `SET NX` its claim in Redis sends it; a
   * claim whose dispatch failed is given back, so the next sample sends it.
   */
  async function alertSpend(sample: AppSample, policy: OpsPolicy, at: Date): Promise<string[]> {
    const month = at.toISOString().slice(0, 7);
    const sent: string[] = [];
    for (const threshold of crossedThresholds(sample.month_cost_nanos, sample.budget_nanos, policy.notifications.spend_thresholds)) {
      const notificationId = spendNotificationId(sample.app_id, month, threshold);
      const claim = `ops:spend-alert:${notificationId}`;
      if ((await deps.redis.set(claim, at.toISOString(), 'PX', SPEND_CLAIM_MS, 'NX')) !== 'OK') continue;
      const pct = Math.round(threshold * 100);
      const spent = (sample.month_cost_nanos / 1e9).toFixed(2);
      const budget = ((sample.budget_nanos ?? 0) / 1e9).toFixed(2);
      try {
        await dispatcher.dispatch({
          appId: sample.app_id,
          incidentId: '',
          rule: 'spend',
          event: 'spend',
          severity: threshold >= 1 ? 'act' : 'warn',
          summary: `${sample.app_id} has spent $${spent} of its $${budget} monthly budget (${month}): ${pct} % reached`,
          notificationId,
        });
      } catch {
        // Given back: the next sample (a few seconds on) claims and sends it; the sample itself
        // goes on, so a notification problem never holds up monitoring.
        await deps.redis.del(claim);
        continue;
      }
      sent.push(notificationId);
    }
    return sent;
  }

  async function policyFor(appId: string, at: Date): Promise<OpsPolicy> {
    const hit = cache.get(appId);
    if (hit && at.getTime() - hit.at < POLICY_CACHE_MS) return hit.policy;
    const policy = await policies.effective(appId);
    // A budget set in the stored default reaches every app's reservations here.
    await policies.syncBudget(appId, policy, at);
    cache.set(appId, { policy, at: at.getTime() });
    return policy;
  }

  async function sampleApp(appId: string, activeRuns: number, at: Date): Promise<{ sample: AppSample; policy: OpsPolicy }> {
    const policy = await policyFor(appId, at);
    const windowStart = new Date(at.getTime() - policy.rate_window_seconds * 1000);
    const baselineStart = new Date(windowStart.getTime() - policy.baseline_window_seconds * 1000);
    const [window, baseline, month] = await Promise.all([
      counters.read(appId, { from: windowStart, to: at }),
      counters.read(appId, { from: baselineStart, to: windowStart }),
      budgets.status(budgetScopes.appMonth(appId, at)),
    ]);
    return {
      policy,
      sample: {
        app_id: appId,
        active_runs: activeRuns,
        window: totals(window),
        window_minutes: policy.rate_window_seconds / 60,
        baseline: totals(baseline),
        // Only the minutes that had any activity count as baseline: a new app has none.
        baseline_minutes: baseline.turns > 0 || baseline.llm_calls > 0 ? policy.baseline_window_seconds / 60 : 0,
        month_cost_nanos: month.spentNanos,
        budget_nanos: budgetNanos(policy),
      },
    };
  }

  return {
    async sampleMetrics(): Promise<Sample> {
      const at = now();
      const active = await counters.activeRuns();
      const apps = Object.keys(active).sort();
      const sampled = await Promise.all(apps.map((appId) => sampleApp(appId, active[appId] ?? 0, at)));
      await Promise.all(sampled.map(({ sample, policy }) => alertSpend(sample, policy, at)));
      return {
        snapshot: {
          at: at.toISOString(),
          total_active_runs: sampled.reduce((sum, { sample }) => sum + sample.active_runs, 0),
          apps: sampled.map(({ sample }) => sample),
        },
        policies: Object.fromEntries(sampled.map(({ sample, policy }) => [sample.app_id, policy])),
      };
    },

    /** Signal-with-start per finding: the incident workflow id dedups alerts. */
    async raiseAlerts(input: { findings: Finding[] }): Promise<{ raised: string[] }> {
      const raised: string[] = [];
      for (const finding of input.findings) {
        const workflowId = workflowIds.incident(finding.app_id, finding.rule);
        await deps.temporal.workflow.signalWithStart<RemediationWorkflow, [Finding]>('remediation', {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ appId: finding.app_id, rule: finding.rule, finding }],
          signal: alertSignal,
          signalArgs: [finding],
          typedSearchAttributes: [
            { key: SA.appId, value: finding.app_id },
            { key: SA.kind, value: 'incident' },
          ],
        });
        raised.push(workflowId);
      }
      return { raised };
    },
  };
}

function totals(counters: CounterTotals): WindowTotals {
  const out = emptyWindow();
  out.turns = counters.turns;
  out.errors = counters.errors;
  out.input_tokens = counters.input_tokens;
  out.output_tokens = counters.output_tokens;
  out.cost_nanos = counters.cost_nanos;
  return out;
}
