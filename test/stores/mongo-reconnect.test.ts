/**
 * A MongoDB client whose server stayed unreachable past the threshold is replaced on its next use
 * (the chaos suite found a client that never selected a restarted FerretDB again). On a FerretDB of
 * this file's own, stopped and started again on the same data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { freePort, type ChildService } from '../../src/dev/child-service';
import { startFerretDb, toolPaths } from '../../src/dev/embedded-services';
import { defaultStorageResolver, MongoStores } from '../../src/stores/mongo';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-mongo-reconnect-'));
const tools = toolPaths(path.resolve(__dirname, '../../.tools'));
let ferret: ChildService | undefined;
let stores: MongoStores | undefined;

afterAll(async () => {
  await stores?.close();
  await ferret?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('replaces a client whose server stayed unreachable, and reaches the restarted server with the new one', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const start = () => startFerretDb({ binary: tools.ferretdb, dataDir: dir, port });
  const uri = `mongodb://127.0.0.1:${port}/`;
  ferret = await start();
  stores = new MongoStores(defaultStorageResolver({ uri, db: 'reconnect' }), { serverSelectionTimeoutMS: 1000, heartbeatFrequencyMS: 500 }, 200);
  await (await stores.dbFor('acme')).collection('things').insertOne({ app_id: 'acme', n: 1 });
  const first = await stores.client(uri);

  await ferret.stop();
  ferret = undefined;
  await expect((await stores.dbFor('acme')).collection('things').findOne({ app_id: 'acme' })).rejects.toThrow();
  // The monitor's next checks fail, and the threshold passes.
  await sleep(2000);
  // Past the threshold: this call drops the old client (connecting anew may fail while it is down).
  await stores.dbFor('acme').catch(() => undefined);

  ferret = await start();
  const found = await (await stores.dbFor('acme')).collection('things').findOne({ app_id: 'acme' }, { projection: { _id: 0 } });
  expect(found).toEqual({ app_id: 'acme', n: 1 });
  expect(await stores.client(uri)).not.toBe(first);
});
