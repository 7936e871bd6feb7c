/** A MongoDB usage event as a ClickHouse row: pseudonymized, priced (as billed, or re-priced), with energy. */
import { estimateEnergy } from '../../domain/analytics';
import { computeCost, resolveModel, type PriceBook } from '../../domain/pricing';
import type { UsageEventDoc } from '../../stores/documents';
import { chDateTime } from './clickhouse-batch';
import type { Pseudonymize } from './pseudonym';

export interface UsageRow extends Record<string, unknown> {
  event_id: string;
  app_id: string;
  ts: string;
  user_pseudonym: string;
  cost_nanos: number;
  billed_cost_nanos: number;
}

/** Every column `usageRowMapper` fills, in the order the ETL writes their values. */
export const USAGE_ROW_COLUMNS = [
  'event_id', 'app_id', 'ts', 'user_pseudonym', 'chat_id', 'turn_id', 'step', 'template', 'provider', 'model',
  'input_tokens', 'cached_input_tokens', 'output_tokens', 'cost_nanos', 'priced', 'price_table_version',
  'billed_cost_nanos', 'billed_priced', 'billed_price_table_version', 'energy_wh', 'energy_estimated',
  'latency_ms', 'ttft_ms', 'status', 'error_type',
] as const;

/** A row as the ETL writes it: its values in `USAGE_ROW_COLUMNS` order, as a JSON array. */
export function usageValuesLine(row: UsageRow): string {
  return JSON.stringify(USAGE_ROW_COLUMNS.map((column) => row[column]));
}

export interface RowContext {
  pseudonymize: Pseudonymize;
  book: PriceBook;
  /** Re-price with `book` instead of carrying the billed figure. */
  reprice: boolean;
}

export function usageRowMapper(ctx: RowContext): (doc: UsageEventDoc) => UsageRow {
  const modelKeys = new Map<string, string | undefined>();
  const modelKey = (model: string) => {
    if (!modelKeys.has(model)) modelKeys.set(model, resolveModel(ctx.book, model)?.key);
    return modelKeys.get(model);
  };
  // Users repeat within a window: one HMAC per user, not per event (bounded).
  const pseudonyms = new Map<string, string>();
  const pseudonym = (appId: string, userId: string) => {
    const key = `${appId}\u0000${userId}`;
    let value = pseudonyms.get(key);
    if (value === undefined) {
      if (pseudonyms.size >= 100_000) pseudonyms.clear();
      value = ctx.pseudonymize(appId, userId);
      pseudonyms.set(key, value);
    }
    return value;
  };
  return (doc) => {
    const usage = {
      input_tokens: doc.input_tokens,
      cached_input_tokens: doc.cached_input_tokens ?? 0,
      output_tokens: doc.output_tokens,
    };
    let cost = { cost_nanos: doc.cost_nanos, priced: doc.priced, price_table_version: doc.price_table_version };
    if (ctx.reprice) {
      const repriced = computeCost(ctx.book, { model: doc.model, at: doc.ts, usage });
      cost = {
        cost_nanos: repriced.priced ? repriced.cost_nanos.total : 0,
        priced: repriced.priced,
        price_table_version: repriced.price_table_version,
      };
    }
    const energy = estimateEnergy(modelKey(doc.model), usage);
    return {
      event_id: doc.event_id,
      app_id: doc.app_id,
      ts: chDateTime(doc.ts),
      user_pseudonym: pseudonym(doc.app_id, doc.user_id ?? ''),
      chat_id: doc.chat_id,
      turn_id: doc.turn_id,
      step: doc.step,
      template: doc.template ?? '',
      provider: doc.provider ?? '',
      model: doc.model,
      ...usage,
      ...cost,
      billed_cost_nanos: doc.cost_nanos,
      billed_priced: doc.priced,
      billed_price_table_version: doc.price_table_version,
      energy_wh: energy.energy_wh,
      energy_estimated: energy.estimated,
      latency_ms: Math.max(0, Math.round(doc.latency_ms ?? 0)),
      ttft_ms: Math.max(0, Math.round(doc.ttft_ms ?? 0)),
      status: doc.status,
      error_type: doc.error_type ?? '',
    };
  };
}
