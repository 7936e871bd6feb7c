/**
 * What the embedded MongoDB (FerretDB with tools/ferretdb/patches) pushes down to PostgreSQL, and
 * that it answers exactly as MongoDB would: the ETL's time-window read is served by the `ts`
 * index (timing-free: the plan names the index, a collection scan fails); a date range matches
 * dates in range and arrays holding one, nothing else; a sort on top-level keys (done by
 * PostgreSQL and streamed) gives the same order as FerretDB's own in-memory sort, for every type.
 */
import type { CommandStartedEvent, Db, Document } from 'mongodb';
import { Long, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { explainFind } from '../support/explain';
import { services, uniqueName } from '../support/services';

const DAY = Date.parse('2026-03-01T00:00:00Z');
const HOUR_MS = 3_600_000;
const at = (ms: number) => new Date(DAY + ms);

let mongo: MongoStores;
let db: Db;
const sent: CommandStartedEvent[] = [];

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('pushdown') }), { monitorCommands: true });
  db = await mongo.dbFor('acme');
  await ensureMongoIndexes(db);
  // Four days of events for acme and two other apps, one every 2 minutes: an hour is 1/96 of each app's.
  const events = Array.from({ length: 3 * 2880 }, (_, i) => ({
    app_id: ['acme', 'other-1', 'other-2'][i % 3],
    event_id: `e-${i}`,
    model: 'm',
    ts: at(Math.floor(i / 3) * 120_000),
  }));
  for (let i = 0; i < events.length; i += 2000) await db.collection('usage_events').insertMany(events.slice(i, i + 2000));
  // Statistics as autovacuum would leave them (FerretDB: VACUUM ANALYZE), so the plan does not
  // depend on whether autovacuum got there first.
  await db.command({ compact: 'usage_events' });
  (await mongo.client(services().mongoUri)).on('commandStarted', (event) => sent.push(event));
});

afterAll(async () => {
  await db.dropDatabase();
  await mongo.close();
});

describe('date ranges', () => {
  it('the ETL window read (an app, a time range, sorted) is served by the ts index', async () => {
    sent.length = 0;
    let read = 0;
    // The read etlWindow makes (src/activities/analytics/etl.ts).
    await tenantCollections(mongo, 'acme').usageEvents.forEachBatch(
      { ts: { $gte: at(5 * HOUR_MS), $lt: at(6 * HOUR_MS) } },
      { sort: { ts: 1, event_id: 1 }, projection: { _id: 0 }, batchSize: 50 },
      async (docs) => {
        read += docs.length;
      },
    );
    expect(read).toBe(30);
    const find = sent.find((event) => event.commandName === 'find')?.command;
    expect(find).toBeDefined();
    const access = await explainFind(db, find as Document);
    expect(access.fullScan).toBe(false);
    expect(access.indexes.some((name) => /_[0-9a-f]{8}_ts_[0-9a-f]{8}_idx$/.test(name))).toBe(true);
  });

  it('matches what MongoDB matches: dates in range and arrays holding one, no other type', async () => {
    const inRange = at(HOUR_MS + 1);
    const millis = inRange.getTime();
    const coll = db.collection('range_cases');
    await coll.insertMany([
      { case: 'date in range', v: inRange },
      { case: 'date at lower bound', v: at(HOUR_MS) },
      { case: 'date at upper bound', v: at(2 * HOUR_MS) },
      { case: 'date before', v: at(HOUR_MS - 1) },
      { case: 'array with a date in range', v: [at(0), inRange, 'x'] },
      { case: 'array with dates either side', v: [at(0), at(3 * HOUR_MS)] },
      { case: 'array of other types', v: [millis, String(millis)] },
      { case: 'empty array', v: [] },
      { case: 'number of the same millis', v: millis },
      { case: 'long of the same millis', v: Long.fromNumber(millis) },
      { case: 'ISO string in range', v: inRange.toISOString() },
      { case: 'null', v: null },
      { case: 'missing' },
      { case: 'document holding a date', v: { d: inRange } },
      { case: 'bool', v: true },
    ]);
    const cases = async (filter: Document) =>
      (await coll.find(filter, { projection: { _id: 0, case: 1 } }).toArray()).map((doc) => doc.case as string).sort();
    expect(await cases({ v: { $gte: at(HOUR_MS), $lt: at(2 * HOUR_MS) } })).toEqual(
      ['array with a date in range', 'array with dates either side', 'date at lower bound', 'date in range'].sort(),
    );
    expect(await cases({ v: { $gt: at(HOUR_MS), $lte: at(2 * HOUR_MS) } })).toEqual(
      ['array with a date in range', 'array with dates either side', 'date at upper bound', 'date in range'].sort(),
    );
    // One bound: a date before it, an array holding one; dates only.
    expect(await cases({ v: { $lt: at(HOUR_MS) } })).toEqual(['array with a date in range', 'array with dates either side', 'date before'].sort());
    expect(await cases({ v: { $gte: at(2 * HOUR_MS) } })).toEqual(['array with dates either side', 'date at upper bound'].sort());
    // Each bound may be met by a different element of an array, as in MongoDB.
    expect(await cases({ v: { $gt: at(HOUR_MS + 2), $lt: at(HOUR_MS + 3) } })).toEqual(['array with dates either side']);
  });
});

describe('sorts on top-level keys', () => {
  const values: unknown[] = [
    null,
    undefined, // missing
    3,
    -7,
    2.5, // double: sorted by FerretDB itself, merged into the stream
    Long.fromString('9007199254740993'),
    '',
    'b',
    'a',
    'ä',
    'B',
    new ObjectId('650000000000000000000001'),
    new ObjectId('64ffffffffffffffffffffff'),
    false,
    true,
    at(5),
    at(-5),
    [2, 'a'],
    [],
    { x: 1 },
    { a: [1] },
  ];

  beforeAll(async () => {
    // Each value twice (ties are broken by the second key), with a copy under `n.k`: a sort on a
    // dotted key is not pushed down, so FerretDB sorts it in memory (the reference order).
    const docs = values.flatMap((value, i) =>
      [0, 1].map((j) => {
        const doc: Document = { _id: i * 2 + j, tie: 1 - j, n: {} };
        if (value !== undefined) {
          doc.k = value;
          (doc.n as Document).k = value;
        }
        return doc;
      }),
    );
    await db.collection<Document>('sort_cases').insertMany(docs);
  });

  const order = async (sort: Document, filter: Document = {}) =>
    (await db.collection<{ _id: number }>('sort_cases').find(filter, { sort, projection: { _id: 1 } }).toArray()).map((doc) => doc._id);

  it('ascending and descending, with a second key, in FerretDB’s own order for every type', async () => {
    for (const dir of [1, -1]) {
      const pushed = await order({ k: dir, tie: 1, _id: 1 });
      expect(pushed).toHaveLength(values.length * 2);
      expect(pushed).toEqual(await order({ 'n.k': dir, tie: 1, _id: 1 }));
    }
  });

  it('with a filter and a limit', async () => {
    const filter = { tie: 0 };
    expect(await order({ k: -1, _id: 1 }, filter)).toEqual(await order({ 'n.k': -1, _id: 1 }, filter));
    const limited = await db.collection<{ _id: number }>('sort_cases').find({}, { sort: { k: 1, _id: 1 }, limit: 5, projection: { _id: 1 } }).toArray();
    expect(limited.map((doc) => doc._id)).toEqual((await order({ 'n.k': 1, _id: 1 })).slice(0, 5));
  });
});
