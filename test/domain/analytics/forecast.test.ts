import { describe, expect, it } from 'vitest';
import { forecastBudget, monthBounds } from '../../../src/domain/analytics';

const B = 1e9; // nanos per dollar

describe('budget forecast', () => {
  it('projects the month-to-date daily rate to month end and finds the run-out day', () => {
    // 2026-04-11T00:00Z: 10 days of April (30 days) gone, $20 spent → $2/day → $60 by month end.
    const f = forecastBudget({ at: new Date('2026-04-11T00:00:00Z'), spentNanos: 20 * B, limitNanos: 50 * B });
    expect(f).toMatchObject({ month: '2026-04', days_elapsed: 10, days_in_month: 30, daily_rate_nanos: 2 * B, projected_month_end_nanos: 60 * B });
    // $30 left at $2/day: 15 days after the 11th → the 26th.
    expect(f.runs_out_on).toBe('2026-04-26');
    expect(f.month_start).toBe('2026-04-01T00:00:00.000Z');
    expect(f.month_end).toBe('2026-05-01T00:00:00.000Z');
  });

  it('has no run-out date without a limit, with no spend, or when the rate lasts past month end', () => {
    const at = new Date('2026-02-15T00:00:00Z'); // 14 days of 28
    expect(forecastBudget({ at, spentNanos: 14 * B, limitNanos: null }).runs_out_on).toBeNull();
    expect(forecastBudget({ at, spentNanos: 0, limitNanos: 10 * B })).toMatchObject({ runs_out_on: null, projected_month_end_nanos: 0, daily_rate_nanos: 0 });
    // $1/day, $28 projected: a $28 limit is reached exactly at month end, which is next month's first instant.
    expect(forecastBudget({ at, spentNanos: 14 * B, limitNanos: 28 * B })).toMatchObject({ projected_month_end_nanos: 28 * B, runs_out_on: null });
    expect(forecastBudget({ at, spentNanos: 14 * B, limitNanos: 27 * B }).runs_out_on).toBe('2026-02-28');
  });

  it('an exhausted budget runs out today; the first instant of a month has no rate', () => {
    expect(forecastBudget({ at: new Date('2026-04-20T12:00:00Z'), spentNanos: 60 * B, limitNanos: 50 * B }).runs_out_on).toBe('2026-04-20');
    expect(forecastBudget({ at: new Date('2026-05-01T00:00:00Z'), spentNanos: 0, limitNanos: 50 * B })).toMatchObject({ days_elapsed: 0, daily_rate_nanos: 0, runs_out_on: null });
    expect(monthBounds(new Date('2026-12-31T23:59:59Z'))).toEqual({ start: Date.parse('2026-12-01T00:00:00Z'), end: Date.parse('2027-01-01T00:00:00Z') });
  });
});
