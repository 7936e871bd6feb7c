/**
 * The usage measures every analytics aggregate carries, as SQL: from raw `usage_events` rows, or
 * merged from rollup rows (`hourly_app_usage`, `daily_app_usage`, which store them under these
 * column names). Sums are exact whatever the split; the percentile states are bfloat16 histograms
 * (`quantilesBFloat16`: relative error ≤ 0.39 %), whose merge is exact too, so a percentile is the
 * same whether it was read from raw events, hourly or daily rollups, or any mix of them.
 */
export const QUANTILES = 'quantilesBFloat16(0.5, 0.95, 0.99)';

const fn = (suffix: string) => QUANTILES.replace('(', `${suffix}(`);

interface Measure {
  column: string;
  /** Over `usage_events` rows. */
  raw: string;
  /** Over rows of a rollup table. */
  merged: string;
  /** Over partial aggregates named `p_<column>` (the final step of a read). */
  final: string;
}

const sum = (column: string, raw: string): Measure => ({ column, raw, merged: `sum(${column})`, final: `sum(p_${column})` });
const quantiles = (column: string, raw: string): Measure => ({
  column,
  raw,
  merged: `${fn('MergeState')}(${column})`,
  final: `${fn('Merge')}(p_${column})`,
});

export const USAGE_MEASURES: readonly Measure[] = [
  sum('calls', 'count()'),
  sum('turns', 'countIf(step = 0)'), // a turn is counted by its first LLM call
  sum('errors', "countIf(status != 'ok')"),
  sum('input_tokens', 'sum(input_tokens)'),
  sum('cached_input_tokens', 'sum(cached_input_tokens)'),
  sum('output_tokens', 'sum(output_tokens)'),
  sum('cost_nanos', 'sum(cost_nanos)'),
  sum('billed_cost_nanos', 'sum(billed_cost_nanos)'),
  sum('unpriced_calls', 'countIf(NOT priced)'),
  sum('energy_wh', 'sum(energy_wh)'),
  sum('unestimated_calls', 'countIf(NOT energy_estimated)'),
  quantiles('latency_q', `${fn('State')}(latency_ms)`),
  quantiles('ttft_q', `${fn('StateIf')}(ttft_ms, ttft_ms > 0)`), // 0: no first token (an error)
];

/** The rollup tables' measure columns, in order (for an `INSERT … (columns)` list). */
export const MEASURE_COLUMNS = USAGE_MEASURES.map((m) => m.column).join(', ');

/** `expr AS p_<column>, …` computed from raw events or merged from rollup rows. */
export function measuresFrom(source: 'raw' | 'merged'): string {
  return USAGE_MEASURES.map((m) => `${m[source]} AS p_${m.column}`).join(', ');
}

/** `expr AS <column>, …` merging partial aggregates named `p_<column>`. */
export function finalMeasures(): string {
  return USAGE_MEASURES.map((m) => `${m.final} AS ${m.column}`).join(', ');
}
