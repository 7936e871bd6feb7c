/**
 * Counters of what a piece of work sends to each service, read before and after it: MongoDB
 * commands (driver command monitoring), Redis commands per named connection (MONITOR), and the
 * Temporal dev server's own request and persistence counters (its Prometheus endpoint). Counts,
 * unlike timings, do not depend on how busy the machine is.
 */
import { Redis } from 'ioredis';
import type { MongoClient } from 'mongodb';

export type Counts = Record<string, number>;

export function diff(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

const MONGO_OPERATIONS = new Set(['find', 'insert', 'update', 'delete', 'findAndModify', 'aggregate', 'count', 'getMore']);

/** `{command} {collection}` → how many statements were sent (documents inserted, updates, deletes;
 * 1 for a read), and `{label} commands` → how many commands, from the moment it is called. */
export function countMongoCommands(client: MongoClient, label: string): () => Counts {
  const counts: Counts = {};
  client.on('commandStarted', (event) => {
    if (!MONGO_OPERATIONS.has(event.commandName)) return;
    const collection = String(event.command[event.commandName] ?? '');
    // One insert/update/delete command may carry several statements: count statements.
    const statements = event.command.updates ?? event.command.documents ?? event.command.deletes;
    const key = `${label} ${event.commandName} ${collection}`;
    counts[key] = (counts[key] ?? 0) + (Array.isArray(statements) ? statements.length : 1);
    // And the commands themselves (round trips): several statements may share one.
    counts[`${label} commands`] = (counts[`${label} commands`] ?? 0) + 1;
  });
  return () => ({ ...counts });
}

/** Redis commands by connection name (ioredis' `connectionName`), from MONITOR; the sources it
 * reports (addresses) are named through `CLIENT LIST` when counts are read. */
export async function monitorRedis(url: string): Promise<{ counts: () => Promise<Counts>; stop: () => Promise<void> }> {
  const admin = new Redis(url, { connectionName: 'op-counts' });
  const monitor = await admin.monitor(); // a connection of its own; `admin` stays usable
  const bySource = new Map<string, Counts>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = (args[0] ?? '').toLowerCase();
    const counts = bySource.get(source) ?? {};
    counts[command] = (counts[command] ?? 0) + 1;
    bySource.set(source, counts);
  });
  const names = new Map<string, string>();
  return {
    async counts() {
      for (const line of ((await admin.client('LIST')) as string).split('\n')) {
        const fields = Object.fromEntries(line.split(' ').map((pair) => pair.split('=') as [string, string]));
        if (fields.addr) names.set(fields.addr, fields.name || 'unnamed');
      }
      const out: Counts = {};
      for (const [source, counts] of bySource) {
        // Commands a Lua script runs show up with the source `lua` (their EVALSHA is counted too).
        const name = source === 'lua' ? 'inside-scripts' : (names.get(source) ?? 'unnamed');
        if (name === 'op-counts') continue;
        for (const [command, n] of Object.entries(counts)) out[`${name} ${command}`] = (out[`${name} ${command}`] ?? 0) + n;
      }
      return out;
    },
    async stop() {
      monitor.disconnect();
      await admin.quit();
    },
  };
}

/** Sums of the dev server's Prometheus counters, by metric and `operation` label. */
export function temporalServerCounts(metricsUrl: string, metrics: readonly string[]): Promise<Counts> {
  return prometheusCounts(metricsUrl, metrics, 'operation');
}

/** Sums of Prometheus samples (counters, gauges, histogram `_sum`/`_count`) by metric and one label. */
export async function prometheusCounts(metricsUrl: string, metrics: readonly string[], label: string): Promise<Counts> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Counts = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^(\w+)(?:\{([^}]*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!match) continue;
    const [, name, labels, value] = match;
    if (!name || !metrics.includes(name)) continue;
    const which = new RegExp(`${label}="([^"]*)"`).exec(labels ?? '')?.[1] ?? '';
    const key = which ? `${name} ${which}` : name;
    out[key] = (out[key] ?? 0) + Number(value);
  }
  return out;
}
