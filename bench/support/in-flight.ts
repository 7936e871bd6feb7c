/**
 * Counts activity executions in progress, so a phase can wait until the work an earlier phase left
 * behind (abandoned turns, local activity attempts that outlived their timeout) has finished
 * before the next phase is timed. The activities themselves run unchanged.
 */
export interface InFlight<T> {
  activities: T;
  count(): number;
}

export function trackInFlight<T extends object>(activities: T): InFlight<T> {
  let running = 0;
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      running++;
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        running--;
      }
    };
  }
  return { activities: wrapped as T, count: () => running };
}
