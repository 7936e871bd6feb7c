/**
 * `bench:console`'s API process: `src/api/main.ts` configured by environment as a deployment would
 * run it (bench/support/stream-processes.ts), started here so its pid is known and its CPU time can
 * be read from /proc; and the Redis command count (`INFO commandstats`) of the run's own Redis.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Teardown } from '../../src/dev/teardown';
import { API_LISTENING, API_PROCESS_ENTRY, apiProcessEnv, type ApiProcessSettings } from './stream-processes';
import { redisCommandStats } from './turn-redis-stats';

const ROOT = path.resolve(__dirname, '../..');
const READY_TIMEOUT_MS = 180_000;
/** Linux's clock ticks per second for /proc/<pid>/stat (`getconf CLK_TCK`; 100 on every common kernel). */
const CLOCK_TICKS = 100;

export interface ApiProcess {
  url: string;
  pid: number;
}

/** Starts the API-only process with `extraEnv` over the deployment's environment. */
export function startConsoleApi(settings: ApiProcessSettings, extraEnv: Record<string, string>, teardown: Teardown): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', API_PROCESS_ENTRY], {
    cwd: ROOT,
    env: { ...apiProcessEnv(settings), ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  teardown.add('API process', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(force);
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the API process was not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API process exited early (${code})`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = API_LISTENING.exec(seen);
      if (match && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ url: match[1] as string, pid: child.pid });
      }
    });
  });
}

/** User + system CPU time the process has used so far, in ms (/proc/<pid>/stat fields 14 and 15). */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** The commands Redis has run so far, by command (the reading connection's own few included). */
export const redisCommands = redisCommandStats;

/** `after - before`, by command, leaving out those that did not change. */
export function commandDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]).filter(([, n]) => n !== 0));
}
