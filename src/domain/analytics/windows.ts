/**
 * Time windows of the analytics pipeline, in UTC: closed hours for the ETL, days for rollups, and
 * the split of a query range into whole days (served from rollups) and the rest (raw events).
 * Pure functions: workflows import them.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const MINUTE_MS = 60_000;

export interface TimeWindow {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

export const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;

/** The closed hour before `at` (a schedule firing at 10:05 collects 09:00–10:00). */
export function previousHour(at: number): TimeWindow {
  const to = floorTo(at, HOUR_MS);
  return { from: to - HOUR_MS, to };
}

/** The UTC day before `at`, as `yyyy-mm-dd` (a run at 00:30 rolls up the day that just ended). */
export function previousDay(at: number): string {
  return dayString(floorTo(at, DAY_MS) - DAY_MS);
}

export const dayString = (ms: number): string => new Date(floorTo(ms, DAY_MS)).toISOString().slice(0, 10);

export function dayWindow(day: string): TimeWindow {
  const from = Date.parse(`${day}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !Number.isFinite(from)) throw new RangeError(`not a day: ${day}`);
  return { from, to: from + DAY_MS };
}

/** The hours that cover `[from, to)`, each clipped to the range. */
export function hoursOf(range: TimeWindow): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (let start = floorTo(range.from, HOUR_MS); start < range.to; start += HOUR_MS) {
    out.push({ from: Math.max(start, range.from), to: Math.min(start + HOUR_MS, range.to) });
  }
  return out;
}

/** Whole UTC days inside `[from, to)`, and the partial pieces at either end. */
export function splitByDays(range: TimeWindow): { days: string[]; partial: TimeWindow[] } {
  const firstWhole = Math.ceil(range.from / DAY_MS) * DAY_MS;
  const lastWhole = floorTo(range.to, DAY_MS);
  if (firstWhole >= lastWhole) return { days: [], partial: range.from < range.to ? [range] : [] };
  const days: string[] = [];
  for (let day = firstWhole; day < lastWhole; day += DAY_MS) days.push(dayString(day));
  const partial: TimeWindow[] = [];
  if (range.from < firstWhole) partial.push({ from: range.from, to: firstWhole });
  if (lastWhole < range.to) partial.push({ from: lastWhole, to: range.to });
  return { days, partial };
}

/** Whole days touched by `[from, to)` (a partial day counts). */
export function daysTouched(range: TimeWindow): string[] {
  const days: string[] = [];
  for (let day = floorTo(range.from, DAY_MS); day < range.to; day += DAY_MS) days.push(dayString(day));
  return days;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
