/**
 * `bench:console`'s API process: `src/api/main.ts` configured by environment as a deployment would
 * run it (bench/support/stream-processes.ts), started here so its pid is known and its CPU time can
 * be read from /proc; and the Redis command count (`INFO commandstats`) of the run's own Redis.
 */
import type { Teardown } from '../../src/dev/teardown';
import { API_LISTENING, API_PROCESS_ENTRY, apiProcessEnv, startChildProcess, type ApiProcessSettings } from './stream-processes';
import { redisCommandStats } from './turn-redis-stats';

export interface ApiProcess {
  url: string;
  pid: number;
}

/** Starts the API-only process with `extraEnv` over the deployment's environment. */
export async function startConsoleApi(settings: ApiProcessSettings, extraEnv: Record<string, string>, teardown: Teardown): Promise<ApiProcess> {
  const { match, pid } = await startChildProcess('API process', API_PROCESS_ENTRY, [], { ...apiProcessEnv(settings), ...extraEnv }, API_LISTENING, teardown);
  return { url: match[1] as string, pid };
}

/** The commands Redis has run so far, by command (the reading connection's own few included). */
export const redisCommands = redisCommandStats;

/** `after - before`, by command, leaving out those that did not change. */
export function commandDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]).filter(([, n]) => n !== 0));
}
