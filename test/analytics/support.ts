/** Seeds MongoDB with usage events for analytics tests and opens a migrated chDB. */
import type { Tier } from '../../src/domain/apps';
import type { UsageEventDoc } from '../../src/stores/documents';
import { openClickHouse, type ClickHouseStore } from '../../src/stores/clickhouse';
import { migrateClickHouse } from '../../src/stores/clickhouse-migrate';
import type { MongoStores } from '../../src/stores/mongo';
import { tenantCollections } from '../../src/stores/tenant-collection';
import { chdbDir } from '../support/services';

export async function openTestClickHouse(label: string): Promise<ClickHouseStore> {
  const ch = await openClickHouse({ database: 'tessera', chdbPath: chdbDir(label) });
  await migrateClickHouse(ch);
  return ch;
}

export async function registerApp(mongo: MongoStores, appId: string, tier: Tier): Promise<void> {
  const db = await mongo.dbFor(appId);
  await db.collection('apps').updateOne({ app_id: appId }, { $set: { app_id: appId, tier, name: appId } }, { upsert: true });
}

/** One usage event every `everyMinutes` from `from` until `to`: users u1..u3, models alternating
 * between a priced one and an unknown one, every 7th an error. */
export function usageEvents(appId: string, from: string, to: string, everyMinutes: number): UsageEventDoc[] {
  const docs: UsageEventDoc[] = [];
  let i = 0;
  const run = Date.parse(from).toString(36);
  for (let t = Date.parse(from); t < Date.parse(to); t += everyMinutes * 60_000, i++) {
    const known = i % 3 !== 2;
    docs.push({
      event_id: `llm:${appId}:c${i % 5}:${run}t${i}:0`,
      app_id: appId,
      chat_id: `c${i % 5}`,
      user_id: `u${(i % 3) + 1}`,
      turn_id: `${run}t${i}`,
      step: 0,
      template: i % 2 === 0 ? 'assistant' : 'researcher',
      provider: known ? 'openai' : 'unknown',
      model: known ? 'gpt-4.1-mini' : 'mystery-model',
      input_tokens: 100 + (i % 50),
      cached_input_tokens: i % 4 === 0 ? 20 : 0,
      output_tokens: 40 + (i % 30),
      cost_nanos: known ? 1000 * (100 + (i % 50)) : 0,
      priced: known,
      price_table_version: 'test.1',
      latency_ms: 200 + (i % 100),
      ttft_ms: 50 + (i % 20),
      status: i % 7 === 0 ? 'error' : 'ok',
      ...(i % 7 === 0 ? { error_type: 'llm_timeout' } : {}),
      ts: new Date(t),
    });
  }
  return docs;
}

export async function seedUsage(mongo: MongoStores, docs: UsageEventDoc[]): Promise<void> {
  const appId = docs[0]?.app_id;
  if (!appId) return;
  const events = tenantCollections(mongo, appId).usageEvents;
  for (let i = 0; i < docs.length; i += 1000) await events.insertMany(docs.slice(i, i + 1000));
}

export async function scalar(ch: ClickHouseStore, query: string, params: Record<string, unknown> = {}): Promise<number> {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await result.json<Record<string, unknown>>();
  return Number(Object.values(row ?? {})[0] ?? 0);
}
