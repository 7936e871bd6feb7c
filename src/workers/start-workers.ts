/**
 * Runs Tessera's workers on their task queues. Callers hand in the connection and the activity
 * implementations (built from real clients), so the same code serves the launcher and tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { TASK_QUEUES } from '../workflows/contract';
import { CHAT_WORKER_TUNING } from './tuning';

export interface RunningWorkers {
  /** Resolves when every worker has stopped; rejects if one fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  activities: object;
  /** Defaults to the compiled-in workflow index; tests may pass a prebuilt bundle instead. */
  workflowBundle?: { code: string };
  /** Dedicated data planes' chat queues: each gets a chat worker of its own. */
  dedicatedTaskQueues?: string[];
  /** Added to every worker (tracing's interceptors and sink). */
  extra?: Pick<WorkerOptionsOf, 'interceptors' | 'sinks'>;
}

type WorkerOptionsOf = Parameters<typeof Worker.create>[0];

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  const chatWorker = (taskQueue: string) =>
    Worker.create({
      ...CHAT_WORKER_TUNING,
      ...opts.extra,
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue,
      ...(opts.workflowBundle
        ? { workflowBundle: opts.workflowBundle }
        : { workflowsPath: workflowsEntry() }),
      activities: opts.activities,
    });
  const workers = [await chatWorker(TASK_QUEUES.chat)];
  for (const taskQueue of opts.dedicatedTaskQueues ?? []) workers.push(await chatWorker(taskQueue));
  return runWorkers(workers);
}

/** Runs created workers until shut down; `done` settles when all have stopped. */
export function runWorkers(workers: Worker[]): RunningWorkers {
  const done = Promise.all(workers.map((worker) => worker.run())).then(() => undefined);
  return {
    done,
    async shutdown() {
      for (const worker of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
      await done;
    },
  };
}

/** The workflow index as source (tsx, tests) or compiled output, whichever this install has. */
export function workflowsEntry(): string {
  for (const extension of ['.ts', '.js']) {
    const file = path.join(__dirname, '..', 'workflows', `index${extension}`);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`no workflow index next to ${__dirname}`);
}
