/**
 * bench:etl — the hourly ETL, MongoDB → ClickHouse, against a plain read of the same events in
 * the same run. Seeds N usage events (default 1,000,000) into one closed hour of a few apps on the
 * embedded MongoDB (FerretDB on PostgreSQL), then alternates: a plain cursor read of the window
 * (per app, the same filter) and Tessera's ETL step (`etlWindow`: the sorted cursor in batches,
 * pseudonyms, energy, content-hashed idempotent inserts into chDB). Prints events/s and the ratio.
 * The apps' windows run 4 at a time, as `hourlyEtl` runs them (its default concurrency), on both
 * sides; `--concurrency 1` runs them one after another.
 *
 *   npm run bench:etl                 # 1M events, 3 rounds
 *   npm run bench:etl -- --events 200000 --rounds 1 [--concurrency 1]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localDirSink } from '../src/activities/analytics/archive-sink';
import { insertValueLines } from '../src/activities/analytics/clickhouse-batch';
import { ETL_BATCH_ROWS, etlWindow } from '../src/activities/analytics/etl';
import { USAGE_ROW_COLUMNS, usageRowMapper, usageValuesLine } from '../src/activities/analytics/usage-rows';
import { pseudonymizer } from '../src/activities/analytics/pseudonym';
import { freePort } from '../src/dev/child-service';
import { startFerretDb, toolPaths } from '../src/dev/embedded-services';
import { buildPriceBook } from '../src/domain/pricing';
import { openClickHouse } from '../src/stores/clickhouse';
import { migrateClickHouse } from '../src/stores/clickhouse-migrate';
import type { UsageEventDoc } from '../src/stores/documents';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../src/stores/mongo';
import { median, printTable } from './report';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = flag('events', 1_000_000);
const ROUNDS = flag('rounds', 3);
const CONCURRENCY = flag('concurrency', 4);
const APPS = ['bench-a', 'bench-b', 'bench-c', 'bench-d'];
const HOUR = { from: '2026-05-01T10:00:00.000Z', to: '2026-05-01T11:00:00.000Z' };

function doc(i: number): UsageEventDoc {
  const app = APPS[i % APPS.length] ?? 'bench-a';
  const ts = new Date(Date.parse(HOUR.from) + Math.floor((i / EVENTS) * 3_600_000));
  return {
    event_id: `llm:${app}:c${i % 997}:t${i}:0`,
    app_id: app,
    chat_id: `c${i % 997}`,
    user_id: `user-${i % 5000}`,
    turn_id: `t${i}`,
    step: 0,
    template: 'assistant',
    provider: 'openai',
    model: i % 3 === 0 ? 'gpt-4.1' : 'gpt-4.1-mini',
    input_tokens: 500 + (i % 700),
    cached_input_tokens: i % 4 === 0 ? 128 : 0,
    output_tokens: 100 + (i % 300),
    cost_nanos: 123_456 + i,
    priced: true,
    price_table_version: 'bench',
    latency_ms: 300 + (i % 900),
    ttft_ms: 80 + (i % 200),
    status: i % 50 === 0 ? 'error' : 'ok',
    ts,
  };
}

/** Runs `work` for every app, `CONCURRENCY` at a time; sums the counts. */
async function perApp(work: (app: string) => Promise<number>): Promise<number> {
  const queue = [...APPS];
  let total = 0;
  const worker = async () => {
    for (let app = queue.shift(); app !== undefined; app = queue.shift()) {
      const n = await work(app);
      total += n;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, worker));
  return total;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-etl-'));
  fs.chmodSync(dir, 0o755);
  const tools = toolPaths(path.resolve('.tools'));
  const port = await freePort();
  const ferret = await startFerretDb({ binary: tools.ferretdb, dataDir: dir, port });
  const mongo = new MongoStores(defaultStorageResolver({ uri: `mongodb://127.0.0.1:${port}/`, db: 'bench' }));
  const ch = await openClickHouse({ database: 'tessera', chdbPath: path.join(dir, 'chdb') });
  try {
    const db = await mongo.dbFor('_system');
    for (const app of APPS) await db.collection('apps').insertOne({ app_id: app, tier: 'pro', name: app });
    await migrateClickHouse(ch);
    const seedStart = performance.now();
    const usage = db.collection<UsageEventDoc>('usage_events');
    // A bulk load: large batches, and the indexes built once afterwards (PostgreSQL builds an index
    // over existing rows far faster than it updates seven indexes row by row).
    const BATCH = 50_000;
    for (let i = 0; i < EVENTS; i += BATCH) {
      await usage.insertMany(Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, j) => doc(i + j)), { ordered: false });
    }
    await ensureMongoIndexes(db);
    // As a collection written over time is by autovacuum: on FerretDB `compact` is VACUUM ANALYZE.
    // Without it the fresh rows are vacuumed (and their hint bits set) during the timed reads.
    await db.command({ compact: 'usage_events' });
    console.log(`seeded ${EVENTS} usage events (indexes built after) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const deps = {
      mongo,
      clickhouse: ch,
      pseudonymize: pseudonymizer('bench-pseudonym-key-0123456789'),
      priceBook: buildPriceBook(),
      archive: localDirSink(path.join(dir, 'archive')),
    };
    const plain: number[] = [];
    const tessera: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let start = performance.now();
      // The baseline: the same window, one cursor per app, documents decoded and dropped.
      const read = await perApp(async (app) => {
        let n = 0;
        const cursor = usage.find({ app_id: app, ts: { $gte: new Date(HOUR.from), $lt: new Date(HOUR.to) } }, { batchSize: 20_000 });
        for await (const _ of cursor) n++;
        return n;
      });
      plain.push(performance.now() - start);
      if (read !== EVENTS) throw new Error(`plain read saw ${read} of ${EVENTS} events`);

      start = performance.now();
      const rows = await perApp(async (app) => (await etlWindow(deps, { appId: app, source: 'usage', ...HOUR, mode: 'etl' })).rows);
      tessera.push(performance.now() - start);
      if (rows !== EVENTS) throw new Error(`ETL moved ${rows} of ${EVENTS} events`);
      console.log(`round ${round + 1}: plain read ${(plain[round] ?? 0).toFixed(0)} ms, ETL ${(tessera[round] ?? 0).toFixed(0)} ms`);
    }
    // Where the time goes: the ClickHouse side alone (map, pseudonymize, estimate, hash, insert)
    // over the same events already in memory, into a scratch copy of the table.
    await ch.client.command({ query: 'CREATE TABLE IF NOT EXISTS tessera.usage_events_scratch AS tessera.usage_events' });
    const toRow = usageRowMapper({ pseudonymize: deps.pseudonymize, book: deps.priceBook, reprice: false });
    const sideStart = performance.now();
    for (let i = 0; i < EVENTS; i += ETL_BATCH_ROWS) {
      const lines = Array.from({ length: Math.min(ETL_BATCH_ROWS, EVENTS - i) }, (_, j) => usageValuesLine(toRow(doc(i + j))));
      await insertValueLines(ch, 'usage_events_scratch', 'bench', USAGE_ROW_COLUMNS, lines, 1);
    }
    const sideMs = performance.now() - sideStart;

    const stored = await ch.client.query({ query: 'SELECT count() AS n FROM tessera.usage_events FINAL', format: 'JSONEachRow' });
    const n = Number((await stored.json<{ n: number }>())[0]?.n);
    if (n !== EVENTS) throw new Error(`ClickHouse holds ${n} rows, expected ${EVENTS}`);

    const plainMs = median(plain);
    const etlMs = median(tessera);
    const rate = EVENTS / (etlMs / 1000);
    const ratio = etlMs / plainMs;
    printTable(`hourly ETL, ${EVENTS.toLocaleString('en')} events in ${APPS.length} apps, ${CONCURRENCY} at a time (median of ${ROUNDS})`, [
      ['plain read (MongoDB cursor)', `${plainMs.toFixed(0)} ms  (${Math.round(EVENTS / (plainMs / 1000)).toLocaleString('en')} events/s)`],
      ['Tessera ETL (Mongo → ClickHouse)', `${etlMs.toFixed(0)} ms  (${Math.round(rate).toLocaleString('en')} events/s)`],
      ['throughput (target ≥ 20,000/s)', `${Math.round(rate).toLocaleString('en')} events/s ${rate >= 20_000 ? 'met' : 'MISSED'}`],
      ['ETL / plain read (target ≤ 2×)', `${ratio.toFixed(2)}× ${ratio <= 2 ? 'met' : 'MISSED'}`],
      ['ClickHouse side alone (events in memory)', `${sideMs.toFixed(0)} ms  (${Math.round(EVENTS / (sideMs / 1000)).toLocaleString('en')} events/s)`],
      ['rows in ClickHouse after every round (FINAL)', `${n.toLocaleString('en')} (re-runs added none)`],
    ]);
    console.log(JSON.stringify({ bench: 'etl', events: EVENTS, concurrency: CONCURRENCY, plain_ms: Math.round(plainMs), etl_ms: Math.round(etlMs), events_per_s: Math.round(rate), ratio: Number(ratio.toFixed(2)), clickhouse_side_events_per_s: Math.round(EVENTS / (sideMs / 1000)) }));
  } finally {
    await ch.close();
    await mongo.close();
    await ferret.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
