/**
 * Per-app metrics read from Redis (so every API replica answers the same): the counters of a
 * window, the active-runs gauge, the ops levers in force and the month's budget. Shared by the
 * JSON endpoints and the Prometheus exposition.
 */
import type { Redis } from 'ioredis';
import { nanosToUsd } from '../domain/pricing';
import { AppCounters } from '../stores/app-counters';
import { Budgets, budgetScopes } from '../stores/budgets';
import { OpsControls } from '../stores/ops-controls';

export interface AppPerf {
  app_id: string;
  active_runs: number;
  turns: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  llm_calls: number;
  throttle_factor: number | null;
  paused_by_ops: boolean;
  month_spent_usd: number;
  month_budget_usd: number | null;
}

export class OpsMetrics {
  private readonly counters: AppCounters;
  private readonly controls: OpsControls;
  private readonly budgets: Budgets;

  constructor(redis: Redis) {
    this.counters = new AppCounters(redis);
    this.controls = new OpsControls(redis);
    this.budgets = new Budgets(redis);
  }

  activeRuns(): Promise<Record<string, number>> {
    return this.counters.activeRuns();
  }

  /** Every app that has ever run a turn, over [from, to). */
  async perApp(range: { from: Date; to: Date }): Promise<AppPerf[]> {
    const active = await this.counters.activeRuns();
    return Promise.all(
      Object.keys(active).sort().map(async (appId) => {
        const [totals, levers, month] = await Promise.all([
          this.counters.read(appId, range),
          this.controls.state(appId),
          this.budgets.status(budgetScopes.appMonth(appId, range.to)),
        ]);
        return {
          app_id: appId,
          active_runs: active[appId] ?? 0,
          turns: totals.turns,
          errors: totals.errors,
          input_tokens: totals.input_tokens,
          output_tokens: totals.output_tokens,
          cost_usd: nanosToUsd(totals.cost_nanos),
          llm_calls: totals.llm_calls,
          throttle_factor: levers.throttle?.factor ?? null,
          paused_by_ops: levers.paused,
          month_spent_usd: nanosToUsd(month.spentNanos),
          month_budget_usd: month.limitNanos === null ? null : nanosToUsd(month.limitNanos),
        };
      }),
    );
  }
}
