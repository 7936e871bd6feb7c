/**
 * The store-error classifier on errors the real FerretDB (test services) throws: what will fail
 * again is recognized, a connection error is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { toStoreFailure } from '../../src/activities/store-failures';
import { failedCallUsage, STORE_INVALID_DATA } from '../../src/domain/store-failure';
import { isDeterministicStoreError } from '../../src/stores/mongo-errors';
import { services, uniqueName } from '../support/services';

let client: MongoClient;
let db: Db;
let scratch: Collection;

beforeAll(async () => {
  client = await MongoClient.connect(services().mongoUri);
  db = client.db(uniqueName('storeerr'));
  scratch = db.collection('scratch');
  await scratch.insertOne({ _id: 'warm' } as never);
});

afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

async function thrown(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (error) {
    return error;
  }
  throw new Error('the write was accepted');
}

describe('isDeterministicStoreError on real store errors', () => {
  it('a NUL in text (FerretDB: PostgreSQL 22P05) will fail again', async () => {
    const error = await thrown(() => scratch.insertOne({ text: 'before\u0000after' }));
    // FerretDB reports it as InternalError (code 1): recognized by its SQLSTATE, not its code.
    expect(error).toMatchObject({ message: expect.stringContaining('22P05') });
    expect(isDeterministicStoreError(error)).toBe(true);
    const failure = toStoreFailure(error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: STORE_INVALID_DATA, nonRetryable: true });
  });

  it('carries what the LLM call spent when the store refused its answer, through the cause chain', async () => {
    const error = await thrown(() => scratch.insertOne({ text: '\u0000' }));
    const spent = { model: 'gpt-4.1-mini', usage: { input_tokens: 12, cached_input_tokens: 0, output_tokens: 7 }, latencyMs: 30, ttftMs: 5 };
    const failure = toStoreFailure(error, [spent]);
    expect(failedCallUsage(failure)).toEqual(spent);
    expect(failedCallUsage(new Error('activity failed', { cause: failure as Error }))).toEqual(spent);
    expect(failedCallUsage(toStoreFailure(error))).toBeUndefined();
  });

  it('a NUL in an update and in a bulk insert will fail again', async () => {
    const update = await thrown(() => scratch.updateOne({ _id: 'warm' } as never, { $set: { text: 'x\u0000' } }));
    expect(isDeterministicStoreError(update)).toBe(true);
    const bulk = await thrown(() => scratch.insertMany([{ ok: 1 }, { text: '\u0000' }]));
    expect(isDeterministicStoreError(bulk)).toBe(true);
  });

  it('a document over 16 MB will fail again', async () => {
    // Past the driver's serialization buffer: the BSON serializer refuses it before sending.
    const huge = await thrown(() => scratch.insertOne({ text: 'x'.repeat(17 * 1024 * 1024) }));
    expect(isDeterministicStoreError(huge)).toBe(true);
    expect(toStoreFailure(huge)).toMatchObject({ type: STORE_INVALID_DATA, nonRetryable: true });
    // (The embedded FerretDB accepts a document just over 16 MB, which MongoDB refuses with
    // BSONObjectTooLarge, code 10334: that one is recognized by its code.)
  });

  it('a $-prefixed or dotted field name will fail again (FerretDB: BadValue, code 2)', async () => {
    const error = await thrown(() => scratch.insertOne({ nested: { $where: 'x' } }));
    expect(isDeterministicStoreError(error)).toBe(true);
    const dotted = await thrown(() => scratch.insertOne({ 'a.b': 1 }));
    expect(isDeterministicStoreError(dotted)).toBe(true);
  });

  it('a duplicate key is not one (idempotent inserts treat it as done)', async () => {
    const error = await thrown(() => scratch.insertOne({ _id: 'warm' } as never));
    expect(isDeterministicStoreError(error)).toBe(false);
  });

  it('a connection that cannot be made is transient, and so is a plain error', async () => {
    const unreachable = new MongoClient('mongodb://127.0.0.1:1/?directConnection=true', { serverSelectionTimeoutMS: 300 });
    const error = await thrown(() => unreachable.db('x').collection('y').insertOne({ text: 'a' }));
    await unreachable.close();
    expect(isDeterministicStoreError(error)).toBe(false);
    expect(toStoreFailure(error)).toBe(error);
    expect(isDeterministicStoreError(new Error('socket hang up'))).toBe(false);
  });
});
