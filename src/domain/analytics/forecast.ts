/**
 * Month-end spend projection at the month-to-date daily rate, and the day that rate exhausts the
 * app's monthly budget (UTC calendar months, as the budget counters are kept).
 */
const DAY = 86_400_000;

export interface BudgetForecast {
  month: string;
  month_start: string;
  month_end: string;
  days_elapsed: number;
  days_in_month: number;
  daily_rate_nanos: number;
  projected_month_end_nanos: number;
  /** yyyy-mm-dd (UTC) the spend reaches the limit at the current rate; null: no limit, or not this month. */
  runs_out_on: string | null;
}

export function monthBounds(at: Date): { start: number; end: number } {
  const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  const end = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
  return { start, end };
}

export function forecastBudget(input: { at: Date; spentNanos: number; limitNanos: number | null }): BudgetForecast {
  const { start, end } = monthBounds(input.at);
  const now = input.at.getTime();
  const elapsedMs = Math.max(0, now - start);
  const spent = Math.max(0, input.spentNanos);
  // The rate over the part of the month gone by; in its first instant there is no rate yet.
  const rate = elapsedMs > 0 ? (spent / elapsedMs) * DAY : 0;
  const projected = Math.round(spent + (rate * (end - now)) / DAY);
  let runsOut: string | null = null;
  if (input.limitNanos !== null) {
    if (spent >= input.limitNanos) runsOut = new Date(now).toISOString().slice(0, 10);
    else if (rate > 0) {
      const at = now + ((input.limitNanos - spent) / rate) * DAY;
      if (at < end) runsOut = new Date(at).toISOString().slice(0, 10);
    }
  }
  return {
    month: new Date(start).toISOString().slice(0, 7),
    month_start: new Date(start).toISOString(),
    month_end: new Date(end).toISOString(),
    days_elapsed: Math.round((elapsedMs / DAY) * 1e6) / 1e6,
    days_in_month: Math.round((end - start) / DAY),
    daily_rate_nanos: Math.round(rate),
    projected_month_end_nanos: projected,
    runs_out_on: runsOut,
  };
}
