/**
 * What each kind of store command a chat turn sends costs FerretDB and PostgreSQL in CPU: N of
 * each, one after another and then N at once, against the bench's own FerretDB, with the CPU of
 * both processes read from /proc before and after. Run by hand when deciding what to batch:
 *
 *   npx tsx bench/support/turn-store-costs.ts [N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDb, toolPaths } from '../../src/dev/embedded-services';
import { freePort } from '../../src/dev/child-service';
import { ensureMongoIndexes } from '../../src/stores/mongo';
import { Teardown } from '../../src/dev/teardown';

function cpuOf(match: (cmd: string) => boolean): number {
  let sum = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!match(cmd)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone
    }
  }
  return sum;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 400);
  const teardown = new Teardown(() => undefined);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-store-costs-'));
  teardown.add('scratch', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  try {
    const port = await freePort();
    const ferret = await startFerretDb({ binary: toolPaths(path.resolve(__dirname, '../../.tools')).ferretdb, dataDir: scratch, port });
    teardown.add('ferret', () => ferret.stop());
    const client = await MongoClient.connect(`mongodb://127.0.0.1:${port}/`);
    teardown.add('client', () => client.close());
    const db = client.db('costs');
    await ensureMongoIndexes(db);
    const mine = (cmd: string) => cmd.includes(scratch) || cmd.includes(`:${port}`) || (cmd.includes('postgres') && cmd.includes(scratch));
    const doc = (i: number, extra: object = {}) => ({ app_id: 'a', event_id: `e${i}-${Math.random()}`, chat_id: `c${i % 50}`, ts: new Date().toISOString(), seq: i, content: 'x'.repeat(300), ...extra });
    let k = 0;
    const cases: Record<string, () => Promise<unknown>> = {
      'insertOne usage_events (3 indexes)': () => db.collection('usage_events').insertOne(doc(k++)),
      'insertOne audit_events (4 indexes)': () => db.collection('audit_events').insertOne(doc(k++, { seq: k + 1e6 })),
      'insertOne chat_messages (2 indexes)': () => db.collection('chat_messages').insertOne(doc(k++, { message_id: `m${k}`, seq: k + 2e6 })),
      'insertMany x2 chat_messages': () => db.collection('chat_messages').insertMany([doc(k++, { message_id: `m${k}`, seq: k + 3e6 }), doc(k++, { message_id: `m${k}`, seq: k + 3e6 })]),
      'insertOne no-index collection': () => db.collection('plain').insertOne(doc(k++)),
      'updateOne upsert by _id (windows)': () => db.collection('chat_windows').updateOne({ _id: `w${k++ % 50}` as never }, { $set: { [`messages.m${k}`]: { content: 'x'.repeat(300) } }, $setOnInsert: { app_id: 'a' } }, { upsert: true }),
      'findOne by _id (windows)': () => db.collection('chat_windows').findOne({ _id: `w${k++ % 50}` as never }),
      'updateOne by (app_id, chat_id) (sessions, 3 indexes)': () => db.collection('chat_sessions').updateOne({ app_id: 'a', chat_id: `c${k++ % 50}` }, { $inc: { turn_count: 1 }, $set: { updated_at: new Date() } }, { upsert: true }),
      'ping': () => db.command({ ping: 1 }),
    };
    console.log(`FerretDB + PostgreSQL CPU ms per command, ${n} each`);
    for (const [name, run] of Object.entries(cases)) {
      await run();
      const before = cpuOf(mine);
      for (let i = 0; i < n; i++) await run();
      const serial = cpuOf(mine) - before;
      console.log(`${name.padEnd(52)} ${((serial * 1000) / n).toFixed(3)}`);
    }
  } finally {
    await teardown.run();
  }
}

main().then(() => process.exit(0), (error: unknown) => { console.error(error); process.exit(1); });
