/**
 * The metrics snapshot the ops rules read: one sample of every app's counters, built from Redis by
 * an activity (so it is right across every API and worker replica) and handed to the pure rules.
 */
export interface WindowTotals {
  turns: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
}

export interface AppSample {
  app_id: string;
  active_runs: number;
  /** The last `rate_window_seconds`. */
  window: WindowTotals;
  window_minutes: number;
  /** The `baseline_window_seconds` before the window (not overlapping it). */
  baseline: WindowTotals;
  baseline_minutes: number;
  /** LLM spend this calendar month (settled), and the budget it counts against, if any. */
  month_cost_nanos: number;
  budget_nanos: number | null;
}

export interface MetricsSnapshot {
  /** ISO time the sample was taken. */
  at: string;
  total_active_runs: number;
  apps: AppSample[];
}

export function emptyWindow(): WindowTotals {
  return { turns: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_nanos: 0 };
}
