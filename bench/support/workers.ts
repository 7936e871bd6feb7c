/**
 * The two workers of a run, in this one process on one connection: Tessera's chat worker and the
 * baseline worker, each on its own task queue. `failed` rejects if either stops on its own, so a
 * phase waiting on replies fails fast instead of hanging; `shutdown` stops both cleanly.
 */
import path from 'node:path';
import { DefaultLogger, Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import { workflowsEntry } from '../../src/workers/start-workers';
import { baselineActivities } from './baseline-activities';

export interface BenchWorkers {
  failed: Promise<never>;
  shutdown(): Promise<void>;
}

/** Worker logs at warnings only; must run before the first Temporal connection. */
export function installQuietRuntime(): void {
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export async function startBenchWorkers(opts: {
  connection: NativeConnection;
  tessera: { taskQueue: string; activities: object };
  baselineTaskQueue: string;
}): Promise<BenchWorkers> {
  // Both bundle their workflow code (webpack) at creation: do it side by side.
  const workers = await Promise.all([
    Worker.create({
      connection: opts.connection,
      taskQueue: opts.tessera.taskQueue,
      workflowsPath: workflowsEntry(),
      activities: opts.tessera.activities,
    }),
    Worker.create({
      connection: opts.connection,
      taskQueue: opts.baselineTaskQueue,
      workflowsPath: path.join(__dirname, '..', 'workflows', 'bare-update.ts'),
      activities: baselineActivities,
    }),
  ]);
  let stopping = false;
  const running = Promise.all(workers.map((worker) => worker.run()));
  const failed = running.then(
    () => {
      throw new Error(stopping ? 'workers were shut down' : 'a worker stopped on its own');
    },
    (error: unknown) => {
      throw error;
    },
  );
  failed.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
  return {
    failed,
    async shutdown() {
      stopping = true;
      for (const worker of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
      await running;
    },
  };
}
