/**
 * ClickHouse through `@clickhouse/client`: a real server when `CLICKHOUSE_URL` is set, otherwise
 * chDB in-process (one data directory per process). Table names are always qualified with the
 * database, because chDB's connection ignores the client's `database` option.
 */
import fs from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

export interface ClickHouseStore {
  client: ClickHouseClient;
  database: string;
  /** `db`.`name`, safe to interpolate (both parts are validated identifiers). */
  table(name: string): string;
  engine: 'chdb' | 'server';
  close(): Promise<void>;
}

export interface ClickHouseOptions {
  url?: string;
  database: string;
  /** chDB data directory, used when no URL is given. */
  chdbPath: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function openClickHouse(opts: ClickHouseOptions): Promise<ClickHouseStore> {
  if (!IDENTIFIER.test(opts.database)) throw new Error(`invalid ClickHouse database name: ${opts.database}`);
  let client: ClickHouseClient;
  if (opts.url) {
    client = createClient({ url: opts.url, request_timeout: 30_000 });
  } else {
    fs.mkdirSync(opts.chdbPath, { recursive: true });
    // chdb types its connection against its own copy of @clickhouse/client-common; the runtime
    // contract is the same, so only the type needs bridging.
    const connection = createChdbConnection({ path: opts.chdbPath }) as unknown as ClientConnection;
    client = createClient({ connection });
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${opts.database}\`` });
  return {
    client,
    database: opts.database,
    engine: opts.url ? 'server' : 'chdb',
    table(name: string) {
      if (!IDENTIFIER.test(name)) throw new Error(`invalid ClickHouse table name: ${name}`);
      return `\`${opts.database}\`.\`${name}\``;
    },
    close: () => client.close(),
  };
}
