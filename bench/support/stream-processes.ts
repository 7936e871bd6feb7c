/**
 * The two processes `bench:stream` measures through, started as a deployment would run them: the
 * API-only process (`src/api/main.ts`, configured by environment like any deployment) and the
 * worker process (stream-worker.ts). Each is awaited until it says it is ready, and stopped with
 * SIGTERM by the teardown. `bench:ttft` starts its baseline servers with `startChild` too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Teardown } from '../../src/dev/teardown';
import type { StreamWorkerSettings } from './stream-worker';

const ROOT = path.resolve(__dirname, '../..');
const READY_TIMEOUT_MS = 180_000;

/** Starts `entry` under tsx; resolves with the match of `ready` on its stdout. */
export async function startChild(name: string, entry: string, args: string[], env: Record<string, string>, ready: RegExp, teardown: Teardown): Promise<RegExpExecArray> {
  return (await startChildProcess(name, entry, args, env, ready, teardown)).match;
}

/** As `startChild`, and with the child's pid (for reading its CPU time from /proc). */
export function startChildProcess(name: string, entry: string, args: string[], env: Record<string, string>, ready: RegExp, teardown: Teardown): Promise<{ match: RegExpExecArray; pid: number }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  teardown.add(name, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(force);
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${name} was not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (${code})`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = ready.exec(seen);
      if (match && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ match, pid: child.pid });
      }
    });
  });
}

export async function startStreamWorker(settings: StreamWorkerSettings, teardown: Teardown): Promise<void> {
  await startChild('worker process', path.join(__dirname, 'stream-worker.ts'), [JSON.stringify(settings)], {}, /^ready$/m, teardown);
}

export interface ApiProcessSettings {
  temporalAddress: string;
  mongoUri: string;
  mongoDb: string;
  redisUrl: string;
  redisPrefix: string;
  secrets: { adminKey: string; jwtSecret: string; keyPepper: string };
  dataDir: string;
  port: number;
}

/** The environment the API-only process (`src/api/main.ts`) is configured by. */
export function apiProcessEnv(settings: ApiProcessSettings): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: settings.temporalAddress,
    MONGODB_URI: settings.mongoUri,
    MONGODB_DB: settings.mongoDb,
    REDIS_URL: settings.redisUrl,
    REDIS_KEY_PREFIX: settings.redisPrefix,
    TESSERA_ADMIN_KEY: settings.secrets.adminKey,
    TESSERA_JWT_SECRET: settings.secrets.jwtSecret,
    TESSERA_KEY_PEPPER: settings.secrets.keyPepper,
    TESSERA_DATA_DIR: settings.dataDir,
    HOST: '127.0.0.1',
    PORT: String(settings.port),
    LOG_LEVEL: 'warn',
  };
}

export const API_PROCESS_ENTRY = path.join(ROOT, 'src/api/main.ts');
/** What the API process prints once it listens (its base URL in group 1). */
export const API_LISTENING = /listening on (http:\/\/\S+)/;

/** Starts the API-only process; resolves with its base URL. */
export async function startApiProcess(settings: ApiProcessSettings, teardown: Teardown): Promise<string> {
  const match = await startChild('API process', API_PROCESS_ENTRY, [], apiProcessEnv(settings), API_LISTENING, teardown);
  return match[1] as string;
}
