/**
 * bench:agg — the daily aggregation (`aggregateDay`: rollups per app, model, template and user
 * over the day's events read with FINAL, t-digest latency and TTFT states, the run recorded, older
 * runs deleted) over N events (default 10,000,000) of one day in chDB, against a bare `count()`
 * scan of the same day in the same run.
 *
 *   npm run bench:agg
 *   npm run bench:agg -- --events 1000000 --rounds 3
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregateDay } from '../src/activities/analytics/aggregate';
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
const CHUNK = 1_000_000;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-agg-'));
  const ch = await openClickHouse({ database: 'tessera', chdbPath: path.join(dir, 'chdb') });
  try {
    await migrateClickHouse(ch);
    const seedStart = performance.now();
    for (let offset = 0; offset < EVENTS; offset += CHUNK) {
      // Generated inside ClickHouse: 20 apps, 6 models, 3 templates, 2,000 users, spread over the day.
      await ch.client.command({
        query: `INSERT INTO ${ch.table('usage_events')}
          (event_id, app_id, ts, user_pseudonym, chat_id, turn_id, step, template, provider, model,
           input_tokens, cached_input_tokens, output_tokens, cost_nanos, priced, price_table_version,
           billed_cost_nanos, billed_priced, billed_price_table_version, energy_wh, energy_estimated,
           latency_ms, ttft_ms, status, error_type, version)
          SELECT concat('e', toString(n)), concat('app-', toString(n % 20)),
            toDateTime64({day:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(n * 86400000, {events:UInt64})),
            hex(cityHash64(n % 2000)), concat('c', toString(n % 50000)), concat('t', toString(intDiv(n, 2))), n % 2,
            ['assistant', 'researcher', 'support'][1 + n % 3], 'openai',
            ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'o3', 'mystery'][1 + n % 6],
            500 + n % 700, if(n % 4 = 0, 128, 0), 100 + n % 300, 100000 + n % 5000, n % 6 != 5, 'bench',
            100000 + n % 5000, n % 6 != 5, 'bench', (n % 300) / 1000.0, n % 6 != 5,
            300 + n % 900, 80 + n % 200, if(n % 50 = 0, 'error', 'ok'), '', 1
          FROM (SELECT number + {offset:UInt64} AS n FROM numbers({count:UInt64}))`,
        query_params: { day: `${DAY} 00:00:00`, events: EVENTS, offset, count: Math.min(CHUNK, EVENTS - offset) },
      });
    }
    console.log(`generated ${EVENTS.toLocaleString('en')} events in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

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
      rolled = (await aggregateDay({ clickhouse: ch }, DAY)).events;
      agg.push(performance.now() - start);
      console.log(`round ${round + 1}: count() ${(bare[round] ?? 0).toFixed(0)} ms, aggregation ${(agg[round] ?? 0).toFixed(0)} ms`);
    }
    if (counted !== EVENTS || rolled !== EVENTS) throw new Error(`counted ${counted}, rolled up ${rolled}, expected ${EVENTS}`);
    const bareMs = median(bare);
    const aggMs = median(agg);
    const ratio = aggMs / bareMs;
    printTable(`daily aggregation, ${EVENTS.toLocaleString('en')} events of one day (median of ${ROUNDS})`, [
      ['bare count() scan of the day (reads ts)', `${bareMs.toFixed(0)} ms`],
      ['aggregateDay (FINAL, rollups, run record)', `${aggMs.toFixed(0)} ms`],
      ['aggregation / count() (target ≤ 5×)', `${ratio.toFixed(2)}× ${ratio <= 5 ? 'met' : 'MISSED'}`],
    ]);
    console.log(JSON.stringify({ bench: 'agg', events: EVENTS, count_ms: Math.round(bareMs), agg_ms: Math.round(aggMs), ratio: Number(ratio.toFixed(2)) }));
  } finally {
    await ch.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
