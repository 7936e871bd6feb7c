/**
 * Dependency probes behind `GET /api/health`: each reports up or down with its latency, bounded
 * by a timeout so a hung dependency shows as down instead of hanging the endpoint.
 */
export interface DependencyProbe {
  name: string;
  check(): Promise<void>;
}

export interface DependencyState {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export async function probeAll(
  probes: DependencyProbe[],
  timeoutMs = 2000,
): Promise<{ status: 'ok' | 'degraded'; dependencies: Record<string, DependencyState> }> {
  const results = await Promise.all(
    probes.map(async (probe): Promise<[string, DependencyState]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          probe.check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [probe.name, { status: 'up', latency_ms: elapsed(started) }];
      } catch (error) {
        return [probe.name, { status: 'down', latency_ms: elapsed(started), error: (error as Error).message }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const dependencies = Object.fromEntries(results);
  const status = results.every(([, state]) => state.status === 'up') ? 'ok' : 'degraded';
  return { status, dependencies };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
