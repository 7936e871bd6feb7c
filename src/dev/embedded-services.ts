/**
 * The embedded stack's child processes: Temporal dev server (with Web UI and Tessera's search
 * attributes), FerretDB on PostgreSQL, and redis-server. Used by `npm start` and the test harness.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../workflows/contract';
import { assertPortFree, startChildService, tcpAnswers, type ChildService } from './child-service';
import { startPostgres } from './embedded-postgres';
import { startupTrace } from './startup-trace';

const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

export interface ToolPaths {
  temporal: string;
  ferretdb: string;
  redisServer: string;
  testServer: string;
}

export function toolPaths(toolsDir: string): ToolPaths {
  const local = path.join(toolsDir, 'bin', 'redis-server');
  return {
    temporal: path.join(toolsDir, 'bin', 'temporal'),
    ferretdb: path.join(toolsDir, 'bin', 'ferretdb'),
    redisServer: fs.existsSync(local) ? local : whichOr('redis-server', local),
    testServer: path.join(toolsDir, 'test-server', 'temporal-test-server'),
  };
}

function whichOr(command: string, fallback: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || fallback;
  } catch {
    return fallback;
  }
}

function assertTool(file: string, what: string): void {
  if (!fs.existsSync(file)) {
    throw new Error(`${what} not found at ${file}: run \`npm run setup\` (scripts/install-tools.sh) first`);
  }
}

/** Temporal Priority and Fairness on every task queue (server ≥ 1.29; implies the priority
 * matcher). Tenants' workflows and activities carry `app_id` as their fairness key. Fairness orders
 * each partition's backlog on its own and a poll lands on a random partition, so with the default 4
 * a quiet tenant's task waits until a free slot's poll reaches its partition (several noisy tasks
 * later); one partition per queue orders the whole backlog — and one process gains nothing from more. */
export const ONE_PARTITION_ARGS = [
  '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
];
export const DEV_SERVER_FAIRNESS_ARGS = ['--dynamic-config-value', 'matching.enableFairness=true', ...ONE_PARTITION_ARGS];
/** Eager activity dispatch (off by default in the server): an activity a workflow task schedules on
 * the completing worker's own queue comes back in the answer to that RespondWorkflowTaskCompleted,
 * its start recorded in the same history write — no transfer task, no matching hop, no activity
 * poll, one persistence write less per turn (docs/scaling.md). A cluster sets the same key. */
export const EAGER_ACTIVITY_ARGS = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

export async function startTemporalDevServer(opts: {
  binary: string;
  dataDir: string;
  port: number;
  /** Web UI port; without one the server runs headless (benchmarks). */
  uiPort?: number;
  /** Prometheus `/metrics` port (the server's own counters, e.g. persistence requests); random if absent. */
  metricsPort?: number;
  namespace: string;
  /** Priority and Fairness (default on); the fairness benchmark measures without it too. */
  fairness?: boolean;
  /** More dynamic config, as `KEY=JSON_VALUE` (benchmarks try settings one at a time). */
  dynamicConfig?: readonly string[];
  onSpawn?: () => void;
}): Promise<ChildService> {
  assertTool(opts.binary, 'Temporal CLI');
  const { uiPort } = opts;
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(opts.metricsPort === undefined ? [] : ['--metrics-port', String(opts.metricsPort)]),
    '--db-filename',
    path.join(opts.dataDir, 'temporal.sqlite'),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    // WAL and synchronous=NORMAL: no fsync per commit (a process crash loses nothing, a power cut
    // may lose the last commits). Under load the default fsync-per-commit makes the dev server
    // lose shard ownership ("shard status unknown") on a 2-core machine.
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    ...(opts.fairness === false ? [] : DEV_SERVER_FAIRNESS_ARGS),
    ...EAGER_ACTIVITY_ARGS,
    ...(opts.dynamicConfig ?? []).flatMap((value) => ['--dynamic-config-value', value]),
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
  ];
  return startChildService({
    name: 'Temporal dev server',
    command: opts.binary,
    args,
    ports: [
      { port: opts.port, setting: 'TEMPORAL_DEV_PORT' },
      ...(uiPort === undefined ? [] : [{ port: uiPort, setting: 'TEMPORAL_UI_PORT' }]),
    ],
    // The port opens before the frontend can serve: wait for a real RPC (and the UI, if any).
    ready: async () =>
      (await frontendAnswers(`127.0.0.1:${opts.port}`, opts.namespace)) &&
      (uiPort === undefined || (await httpOk(`http://127.0.0.1:${uiPort}/`))),
    logFile: path.join(opts.dataDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
    onSpawn: opts.onSpawn,
  });
}

/**
 * The embedded MongoDB: PostgreSQL (its storage) and FerretDB in front of it, as one service that
 * stops in the right order. FerretDB is the patched build of tools/ferretdb, whose equality filters
 * use the collections' indexes (see docs/design-notes.md). `onSpawn`: once PostgreSQL's first
 * process is spawned (the first of the two).
 */
export async function startFerretDb(opts: { binary: string; dataDir: string; port: number; onSpawn?: () => void }): Promise<ChildService> {
  assertTool(opts.binary, 'FerretDB');
  await assertPortFree(opts.port, 'FERRETDB_PORT', 'FerretDB');
  const postgres = await startupTrace.step('PostgreSQL', startPostgres({ dataDir: opts.dataDir, onSpawn: opts.onSpawn }));
  try {
    const ferret = await startChildService({
      name: 'FerretDB',
      command: opts.binary,
      args: ['--listen-addr', `127.0.0.1:${opts.port}`, '--handler', 'postgresql', '--postgresql-url', postgres.url],
      ports: [{ port: opts.port, setting: 'FERRETDB_PORT' }],
      ready: () => tcpAnswers(opts.port),
      logFile: path.join(opts.dataDir, 'ferretdb.log'),
    });
    return {
      name: 'FerretDB (on PostgreSQL)',
      process: ferret.process,
      async stop() {
        await ferret.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}

export async function startRedisServer(opts: {
  binary: string;
  dataDir: string;
  port: number;
  persist: boolean;
  onSpawn?: () => void;
}): Promise<ChildService> {
  assertTool(opts.binary, 'redis-server');
  const dir = path.join(opts.dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const persistence = opts.persist
    ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '']
    : ['--appendonly', 'no', '--save', ''];
  return startChildService({
    name: 'Redis',
    command: opts.binary,
    args: ['--bind', '127.0.0.1', '--port', String(opts.port), '--dir', dir, '--daemonize', 'no', ...persistence],
    ports: [{ port: opts.port, setting: 'REDIS_PORT' }],
    ready: () => tcpAnswers(opts.port),
    logFile: path.join(opts.dataDir, 'redis.log'),
    onSpawn: opts.onSpawn,
  });
}

async function frontendAnswers(address: string, namespace: string): Promise<boolean> {
  if (!(await tcpAnswers(Number(address.split(':')[1])))) return false;
  // Loaded here, not at the top: the launcher starts the services before it loads the Temporal SDK.
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.status < 500;
  } catch {
    return false;
  }
}
