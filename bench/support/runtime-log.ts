/**
 * The Temporal runtime for a benchmark: worker logs at warnings only, native (Core) logs forwarded
 * to the same logger, and no signal handlers of its own (the benchmark stops its workers itself).
 *
 * Core warns "Tried to complete untracked local activity" when a local activity attempt finishes
 * after Core gave up on it (its timeout passed and a retry was scheduled). Those are counted, not
 * printed: under overload there are thousands, and the count is the useful part.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

export interface RuntimeLog {
  /** Local activity attempts that completed after their timeout. */
  lateLocalActivities: number;
}

/** `metricsPort`: also serve the worker runtime's own metrics (slots, sticky cache) in Prometheus format. */
export function installQuietRuntime(opts: { metricsPort?: number } = {}): RuntimeLog {
  const log: RuntimeLog = { lateLocalActivities: 0 };
  const write = (entry: LogEntry) => {
    if (entry.message.includes('untracked local activity')) {
      log.lateLocalActivities++;
      return;
    }
    process.stderr.write(`[temporal ${entry.level}] ${entry.message}\n`);
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', write),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(opts.metricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` } } } : {}),
    },
    shutdownSignals: [],
  });
  return log;
}
