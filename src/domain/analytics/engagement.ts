/** Engagement figures computed from counts the analytics store returns. */

/** Distinct users of a cohort (by the ISO week, Monday yyyy-mm-dd, of their first event) active in a week. */
export interface CohortActivity {
  cohort: string;
  week: string;
  users: number;
}

export interface RetentionCohort {
  /** Monday (yyyy-mm-dd, UTC) of the ISO week the cohort's users were first seen. */
  week: string;
  users: number;
  /** retention[k]: share of the cohort active in the k-th week after its own (retention[0] = 1). */
  retention: number[];
}

const WEEK = 7 * 86_400_000;

/** Cohorts in week order; each cohort's shares run up to `lastWeek` (the Monday of the range's last week). */
export function retentionCohorts(activity: readonly CohortActivity[], lastWeek: string): RetentionCohort[] {
  const byCohort = new Map<string, Map<number, number>>();
  const last = Date.parse(`${lastWeek}T00:00:00Z`);
  for (const row of activity) {
    const start = Date.parse(`${row.cohort}T00:00:00Z`);
    const offset = Math.round((Date.parse(`${row.week}T00:00:00Z`) - start) / WEEK);
    if (offset < 0) continue;
    let weeks = byCohort.get(row.cohort);
    if (!weeks) byCohort.set(row.cohort, (weeks = new Map()));
    weeks.set(offset, (weeks.get(offset) ?? 0) + row.users);
  }
  return [...byCohort.keys()].sort().map((week) => {
    const weeks = byCohort.get(week)!;
    const size = weeks.get(0) ?? 0;
    const span = Math.max(0, Math.round((last - Date.parse(`${week}T00:00:00Z`)) / WEEK));
    const retention = Array.from({ length: span + 1 }, (_, k) => (size === 0 ? 0 : round((weeks.get(k) ?? 0) / size)));
    return { week, users: size, retention };
  });
}

/** a / b to six decimals, 0 when b is 0. */
export function ratio(a: number, b: number): number {
  return b === 0 ? 0 : round(a / b);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Monday (yyyy-mm-dd) of the ISO week of an instant. */
export function isoWeekStart(ms: number): string {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day)).toISOString().slice(0, 10);
}
