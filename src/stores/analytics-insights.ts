/**
 * Engagement, failure groups and month-to-date cost of one app, read from the raw usage events
 * (FINAL: one row per LLM call). Every query is bound to one `app_id`; users are the pseudonyms the
 * ETL stores, never user ids. Pack steps are the calls of chats `pack:<run>:<step>` (their
 * `stepChat` ids); everything else is a chat turn.
 */
import type { CohortActivity, TimeWindow } from '../domain/analytics';
import type { ClickHouseStore } from './clickhouse';

const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const RANGE = `app_id = {app:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}`;
const params = (appId: string, range: TimeWindow) => ({ app: appId, from: chTime(range.from), to: chTime(range.to) });

async function rows<T>(ch: ClickHouseStore, query: string, query_params: Record<string, unknown>): Promise<T[]> {
  const result = await ch.client.query({ query, query_params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return result.json<T>();
}

export interface Engagement {
  totals: { users: number; sessions: number; turns: number };
  daily: { period: string; users: number }[];
  weekly: { period: string; users: number }[];
  monthly: { period: string; users: number }[];
  cohorts: CohortActivity[];
}

export async function queryEngagement(ch: ClickHouseStore, appId: string, range: TimeWindow): Promise<Engagement> {
  const p = params(appId, range);
  const events = `${ch.table('usage_events')} FINAL`;
  const active = (bucket: string) =>
    rows<{ period: string; users: number }>(ch, `SELECT toString(${bucket}) AS period, uniqExact(user_pseudonym) AS users FROM ${events} WHERE ${RANGE} GROUP BY period ORDER BY period`, p);
  const [totals, daily, weekly, monthly, cohorts] = await Promise.all([
    rows<{ users: number; sessions: number; turns: number }>(
      ch,
      `SELECT uniqExact(user_pseudonym) AS users, uniqExact(chat_id) AS sessions, uniqExact(chat_id, turn_id) AS turns FROM ${events} WHERE ${RANGE} AND NOT startsWith(chat_id, 'pack:')`,
      p,
    ),
    active('toDate(ts)'),
    active('toMonday(ts)'),
    active('toStartOfMonth(ts)'),
    // A cohort: users whose first event ever (up to `to`) falls in the range, by its ISO week.
    rows<CohortActivity>(
      ch,
      `SELECT toString(toMonday(f.first_ts)) AS cohort, toString(toMonday(e.ts)) AS week, uniqExact(e.user_pseudonym) AS users
       FROM ${ch.table('usage_events')} AS e FINAL
       INNER JOIN (
         SELECT user_pseudonym, min(ts) AS first_ts FROM ${events}
         WHERE app_id = {app:String} AND ts < {to:DateTime64(3)} GROUP BY user_pseudonym HAVING first_ts >= {from:DateTime64(3)}
       ) AS f ON e.user_pseudonym = f.user_pseudonym
       WHERE e.app_id = {app:String} AND e.ts >= {from:DateTime64(3)} AND e.ts < {to:DateTime64(3)}
       GROUP BY cohort, week ORDER BY cohort, week`,
      p,
    ),
  ]);
  const t = totals[0] ?? { users: 0, sessions: 0, turns: 0 };
  const num = (list: { period: string; users: number }[]) => list.map((r) => ({ period: String(r.period), users: Number(r.users) }));
  return {
    totals: { users: Number(t.users), sessions: Number(t.sessions), turns: Number(t.turns) },
    daily: num(daily),
    weekly: num(weekly),
    monthly: num(monthly),
    cohorts: cohorts.map((r) => ({ cohort: String(r.cohort), week: String(r.week), users: Number(r.users) })),
  };
}

export interface FailureGroup {
  kind: 'turn' | 'pack_step';
  error_type: string;
  model: string;
  template: string;
  calls: number;
  turns: number;
  first_seen: string;
  last_seen: string;
  sample_chat_ids: string[];
}

/** At most this many groups, largest first. */
export const MAX_FAILURE_GROUPS = 200;

/** The largest `MAX_FAILURE_GROUPS` groups, and whether there were more. */
export async function queryFailures(ch: ClickHouseStore, appId: string, range: TimeWindow): Promise<{ groups: FailureGroup[]; truncated: boolean }> {
  const list = await rows<Record<string, unknown>>(
    ch,
    `SELECT if(startsWith(chat_id, 'pack:'), 'pack_step', 'turn') AS kind, toString(error_type) AS error_type,
        toString(model) AS model, toString(template) AS template, count() AS calls, uniqExact(chat_id, turn_id) AS turns,
        formatDateTime(min(ts), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS first_seen, formatDateTime(max(ts), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS last_seen,
        arraySlice(arraySort(groupUniqArray(chat_id)), 1, 5) AS samples
     FROM ${ch.table('usage_events')} FINAL
     WHERE ${RANGE} AND status = 'error'
     GROUP BY kind, error_type, model, template
     ORDER BY calls DESC, kind, error_type, model, template
     LIMIT ${MAX_FAILURE_GROUPS + 1}`,
    params(appId, range),
  );
  const groups = list.slice(0, MAX_FAILURE_GROUPS).map((r): FailureGroup => ({
    kind: r.kind === 'pack_step' ? 'pack_step' : 'turn',
    error_type: String(r.error_type),
    model: String(r.model),
    template: String(r.template),
    calls: Number(r.calls),
    turns: Number(r.turns),
    first_seen: millis(String(r.first_seen)),
    last_seen: millis(String(r.last_seen)),
    sample_chat_ids: Array.isArray(r.samples) ? r.samples.map(String) : [],
  }));
  return { groups, truncated: list.length > MAX_FAILURE_GROUPS };
}

/** `%f` prints microseconds for DateTime64(3) in some versions: normalize to an ISO instant in ms. */
function millis(text: string): string {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : text;
}

/** Billed and current-price cost of the app's calls in a range. */
export async function queryCost(ch: ClickHouseStore, appId: string, range: TimeWindow): Promise<{ cost_nanos: number; billed_cost_nanos: number; calls: number }> {
  const [row] = await rows<Record<string, unknown>>(
    ch,
    `SELECT sum(cost_nanos) AS cost_nanos, sum(billed_cost_nanos) AS billed_cost_nanos, count() AS calls FROM ${ch.table('usage_events')} FINAL WHERE ${RANGE}`,
    params(appId, range),
  );
  return { cost_nanos: Number(row?.cost_nanos ?? 0), billed_cost_nanos: Number(row?.billed_cost_nanos ?? 0), calls: Number(row?.calls ?? 0) };
}
