/**
 * bench:agg — the daily aggregation (`aggregateDay`: finds the day's current hourly rollups, merges
 * them into rollups per app, model, template and user — sums and bfloat16 latency/TTFT states —,
 * records the run, deletes older runs) over N events (default 10,000,000) of one day in chDB,
 * against a bare `count()` scan of the same day in the same run. The hourly rollups it merges are
 * made first, as the hourly ETL makes them (`aggregateHour` per hour, from the events with FINAL),
 * and reported beside it; so is a daily run that must roll one hour up again (written since).
 *
 *   npm run bench:agg
 *   npm run bench:agg -- --events 1000000 --rounds 3
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregateDay, aggregateHour } from '../src/activities/analytics/aggregate';
import { markHoursWritten } from '../src/activities/analytics/hour-writes';
import { openClickHouse } from '../src/stores/clickhouse';
import { migrateClickHouse } from '../src/stores/clickhouse-migrate';
import { median, printTable } from './report';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = flag('events', 10_000_000);
const ROUNDS = flag('rounds', 3);
const DAY = '2026-05-02';
const HOUR_MS = 3_600_000;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-agg-'));
  const ch = await openClickHouse({ database: 'tessera', chdbPath: path.join(dir, 'chdb') });
  try {
    await migrateClickHouse(ch);
    const seedStart = performance.now();
    // Generated inside ClickHouse in 24 inserts (about an hour each, as the hourly ETL writes):
    // 20 apps, 6 models, 3 templates, 2,000 users (32-hex pseudonyms, as the ETL's), spread over
    // the day. Each insert's rows come in table order (app, then time), which halves the insert's
    // sort; event n is app n % 20, as before.
    const APPS = 20;
    const perHour = Math.ceil(EVENTS / 24 / APPS) * APPS;
    for (let offset = 0; offset < EVENTS; offset += perHour) {
      await ch.client.command({
        query: `INSERT INTO ${ch.table('usage_events')}
          (event_id, app_id, ts, user_pseudonym, chat_id, turn_id, step, template, provider, model,
           input_tokens, cached_input_tokens, output_tokens, cost_nanos, priced, price_table_version,
           billed_cost_nanos, billed_priced, billed_price_table_version, energy_wh, energy_estimated,
           latency_ms, ttft_ms, status, error_type, version)
          SELECT concat('e', toString(n)), concat('app-', toString(n % 20)),
            toDateTime64({day:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(n * 86400000, {events:UInt64})),
            lower(hex(MD5(toString(n % 2000)))), concat('c', toString(n % 50000)), concat('t', toString(intDiv(n, 2))), n % 2,
            ['assistant', 'researcher', 'support'][1 + n % 3], 'openai',
            ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'o3', 'mystery'][1 + n % 6],
            500 + n % 700, if(n % 4 = 0, 128, 0), 100 + n % 300, 100000 + n % 5000, n % 6 != 5, 'bench',
            100000 + n % 5000, n % 6 != 5, 'bench', (n % 300) / 1000.0, n % 6 != 5,
            300 + n % 900, if(n % 50 = 0, 0, 80 + n % 200), if(n % 50 = 0, 'error', 'ok'), '', 1
          FROM (SELECT {offset:UInt64} + (number % {slot:UInt64}) * ${APPS} + intDiv(number, {slot:UInt64}) AS n
                FROM numbers({count:UInt64}))
          WHERE n < {events:UInt64}`,
        query_params: { day: `${DAY} 00:00:00`, events: EVENTS, offset, count: perHour, slot: perHour / APPS },
      });
    }
    console.log(`generated ${EVENTS.toLocaleString('en')} events in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    // What the hourly ETL does after each hour it collects (24 runs, timed apart from the daily job).
    const dayStart = Date.parse(`${DAY}T00:00:00.000Z`);
    const hourly: number[] = [];
    for (let hour = 0; hour < 24; hour++) {
      const start = performance.now();
      await aggregateHour({ clickhouse: ch }, new Date(dayStart + hour * HOUR_MS).toISOString());
      hourly.push(performance.now() - start);
    }
    const hourlyTotal = hourly.reduce((a, b) => a + b, 0);
    console.log(`hourly rollups: ${hourlyTotal.toFixed(0)} ms for 24 hours (longest ${Math.max(...hourly).toFixed(0)} ms)`);

    const bare: number[] = [];
    const agg: number[] = [];
    let counted = 0;
    let rolled = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let start = performance.now();
      const result = await ch.client.query({
        // A real scan: without these settings ClickHouse answers from part metadata in ≈ 10 ms.
        query: `SELECT count() AS n FROM ${ch.table('usage_events')}
          WHERE toDate(ts) = toDate({from:String})`,
        query_params: { from: DAY },
        format: 'JSONEachRow',
        clickhouse_settings: { optimize_trivial_count_query: 0, optimize_use_implicit_projections: 0 },
      });
      counted = Number((await result.json<{ n: number }>())[0]?.n);
      bare.push(performance.now() - start);

      start = performance.now();
      const day = await aggregateDay({ clickhouse: ch }, DAY);
      agg.push(performance.now() - start);
      rolled = day.events;
      if (day.hours_rolled_up !== 0) throw new Error(`the daily run rolled up ${day.hours_rolled_up} hours again`);
      console.log(`round ${round + 1}: count() ${(bare[round] ?? 0).toFixed(0)} ms, aggregation ${(agg[round] ?? 0).toFixed(0)} ms`);
    }
    // An hour written to after its rollup (a late event, a re-pricing): the daily run redoes it.
    await markHoursWritten(ch, dayStart + 12 * HOUR_MS, dayStart + 12 * HOUR_MS);
    const staleStart = performance.now();
    const stale = await aggregateDay({ clickhouse: ch }, DAY);
    const staleMs = performance.now() - staleStart;
    if (stale.hours_rolled_up !== 1 || stale.events !== EVENTS) throw new Error(`stale hour: ${JSON.stringify(stale)}`);
    if (counted !== EVENTS || rolled !== EVENTS) throw new Error(`counted ${counted}, rolled up ${rolled}, expected ${EVENTS}`);
    const bareMs = median(bare);
    const aggMs = median(agg);
    const ratio = aggMs / bareMs;
    printTable(`daily aggregation, ${EVENTS.toLocaleString('en')} events of one day (median of ${ROUNDS})`, [
      ['bare count() scan of the day (reads ts)', `${bareMs.toFixed(0)} ms`],
      ['aggregateDay (merges 24 hourly rollups, run record)', `${aggMs.toFixed(0)} ms`],
      ['aggregation / count() (target ≤ 5×)', `${ratio.toFixed(2)}× ${ratio <= 5 ? 'met' : 'MISSED'}`],
      ['aggregateDay with one hour written since its rollup', `${staleMs.toFixed(0)} ms (${(staleMs / bareMs).toFixed(2)}×)`],
      ['hourly rollups, 24 runs by the hourly ETL (total)', `${hourlyTotal.toFixed(0)} ms (${(hourlyTotal / bareMs).toFixed(2)}×)`],
    ]);
    console.log(
      JSON.stringify({
        bench: 'agg',
        events: EVENTS,
        count_ms: Math.round(bareMs),
        agg_ms: Math.round(aggMs),
        ratio: Number(ratio.toFixed(2)),
        one_stale_hour_ms: Math.round(staleMs),
        hourly_total_ms: Math.round(hourlyTotal),
      }),
    );
  } finally {
    await ch.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
