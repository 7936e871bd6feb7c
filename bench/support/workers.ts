/**
 * The two workers of a run, in this one process on one connection: Tessera's chat worker and the
 * baseline worker, each on its own task queue. `failed` rejects if either stops on its own, so a
 * phase waiting on replies fails fast instead of hanging; `shutdown` stops both cleanly.
 */
import path from 'node:path';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { workflowsEntry } from '../../src/workers/start-workers';
import { CHAT_WORKER_TUNING } from '../../src/workers/tuning';
import { baselineActivities } from './baseline-activities';

export interface BenchWorkers {
  failed: Promise<never>;
  shutdown(): Promise<void>;
}

/** An overloaded run may end with activities still running (turns abandoned at their deadline):
 * shutdown fails them after a while instead of waiting for them. */
const SHUTDOWN = { shutdownGraceTime: '2 seconds', shutdownForceTime: '10 seconds' } as const;

export async function startBenchWorkers(opts: {
  connection: NativeConnection;
  /** Absent when Tessera's chat worker runs in worker processes of its own. */
  tessera?: { taskQueue: string; activities: object };
  baselineTaskQueue: string;
}): Promise<BenchWorkers> {
  const { tessera } = opts;
  // Both bundle their workflow code (webpack) at creation: do it side by side.
  const workers = await Promise.all([
    ...(tessera
      ? [
          Worker.create({
            ...CHAT_WORKER_TUNING,
            ...SHUTDOWN,
            connection: opts.connection,
            taskQueue: tessera.taskQueue,
            workflowsPath: workflowsEntry(),
            activities: tessera.activities,
          }),
        ]
      : []),
    Worker.create({
      ...SHUTDOWN,
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
