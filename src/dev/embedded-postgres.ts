/**
 * PostgreSQL as a child process: the storage under the embedded FerretDB. Debian's server binaries
 * (`/usr/lib/postgresql/<major>/bin`, installed by scripts/install-tools.sh); the cluster is created
 * on first start in `<dataDir>/postgres` and listens on a Unix socket only (no TCP port to clash).
 *
 * PostgreSQL refuses to run as root: when this process is root, initdb and the server run as the
 * `postgres` system user (spawned with its uid/gid), which then owns the cluster's directory.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startChildService, type ChildService } from './child-service';

const run = promisify(execFile);

/** Socket-file port number (`.s.PGSQL.<port>`): nothing listens on TCP. */
const SOCKET_PORT = 5432;

/** As durable as the embedded SQLite stores were (synchronous=NORMAL): a commit is handed to the OS
 * before it returns, so a killed process loses nothing; only a power cut can lose the last ones. */
const SERVER_SETTINGS = {
  listen_addresses: '',
  fsync: 'off',
  full_page_writes: 'off',
  max_connections: '200',
  shared_buffers: '128MB',
  // Many small inserts into GIN indexes: keep autovacuum from falling behind.
  autovacuum_naptime: '10s',
} as const;

export interface PostgresServer extends ChildService {
  /** A URL for FerretDB (pgx): the `postgres` database over the Unix socket. */
  url: string;
}

/** The newest installed major version's binaries. */
export function postgresBinDir(root = '/usr/lib/postgresql'): string {
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && fs.existsSync(path.join(root, name, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const major = majors[0];
  if (!major) throw new Error(`PostgreSQL not found under ${root}: run \`npm run setup\` (scripts/install-tools.sh) first`);
  return path.join(root, major, 'bin');
}

/** `onSpawn`: once its first process is spawned (initdb on a first start, else the server). */
export async function startPostgres(opts: { dataDir: string; binDir?: string; onSpawn?: () => void }): Promise<PostgresServer> {
  const binDir = opts.binDir ?? postgresBinDir();
  const owner = serverOwner();
  const dir = clusterDir(path.join(opts.dataDir, 'postgres'), owner);
  const pgData = path.join(dir, 'data');
  const socketDir = path.join(dir, 'run');
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  for (const sub of [dir, socketDir]) {
    fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
    if (owner) fs.chownSync(sub, owner.uid, owner.gid);
  }
  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    const args = ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'];
    const initdb = run(path.join(binDir, 'initdb'), args, { ...(owner ?? {}), cwd: dir });
    // A first start's initdb takes seconds: the launcher need not wait for it to load modules.
    opts.onSpawn?.();
    await initdb.catch((error: unknown) => {
      throw new Error(`initdb failed in ${pgData}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  const settings = Object.entries(SERVER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const server = await startChildService({
    name: 'PostgreSQL',
    command: path.join(binDir, 'postgres'),
    args: ['-D', pgData, '-k', socketDir, '-p', String(SOCKET_PORT), ...settings],
    ports: [],
    ready: async () => isReady(pgData),
    logFile: path.join(dir, 'postgres.log'),
    ...(owner ? { uid: owner.uid, gid: owner.gid, cwd: dir } : {}),
    // Fast shutdown: SIGTERM would wait for clients (FerretDB's pool) to leave.
    stopSignal: 'SIGINT',
    onSpawn: opts.onSpawn,
  });
  return { ...server, url: `postgres://postgres@/postgres?host=${encodeURIComponent(socketDir)}&port=${SOCKET_PORT}` };
}

/** postmaster.pid's status line reads `ready` once the server accepts connections. */
function isReady(pgData: string): boolean {
  try {
    return fs.readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/** The `postgres` user's ids when running as root; undefined when this user can run the server. */
function serverOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error('running as root, PostgreSQL needs the `postgres` system user (Debian\'s postgresql package creates it)');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The cluster lives in `wanted` when the `postgres` user can reach it. Otherwise (a data directory
 * under a private home such as /root) it lives in the postgres user's own home, in a directory
 * named after `wanted`, so a second start still finds it.
 */
function clusterDir(wanted: string, owner: Owner | undefined): string {
  if (!owner) return wanted;
  const closed = closedAncestors(path.dirname(wanted));
  // A private temporary directory (tests, benchmarks: mkdtemp makes them 0700) is ours to open
  // for traversal; a private home directory is not.
  const tmp = `${fs.realpathSync(os.tmpdir())}${path.sep}`;
  if (closed.every((dir) => dir.startsWith(tmp))) {
    for (const dir of closed) fs.chmodSync(dir, fs.statSync(dir).mode | 0o011);
    return wanted;
  }
  const key = createHash('sha256').update(wanted).digest('hex').slice(0, 16);
  return path.join('/var/lib/postgresql/tessera', key);
}

/** Existing directories on the way to `dir` (itself included) that others cannot traverse. */
function closedAncestors(dir: string): string[] {
  const closed: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (fs.existsSync(current) && (fs.statSync(current).mode & 0o001) === 0) closed.push(fs.realpathSync(current));
    if (current === path.dirname(current)) return closed;
  }
}
