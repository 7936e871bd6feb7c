/**
 * Runs the chat worker in N processes of its own beside the launcher (API, schedules) — more cores
 * for workflow tasks and activities than one Node.js event loop can use. Each process polls the
 * same task queue; Temporal spreads the chats over them (sticky per chat while cached).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ChatWorkerSpec } from './chat-worker-spec';
import type { WorkerProcessMessage, WorkerProcessReply } from './main';

export interface WorkerProcesses {
  pids: number[];
  /** Rejects when a worker process dies on its own. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** `output`: a file descriptor for the processes' stdout and stderr (default: this process's);
 * `follow`: instead, takes each process's stdout and stderr as streams (the launcher's log). */
export async function startWorkerProcesses(
  count: number,
  spec: ChatWorkerSpec,
  options: { output?: number; follow?: (output: Readable, source: string) => void } = {},
): Promise<WorkerProcesses> {
  const entry = path.join(__dirname, `main${path.extname(__filename)}`);
  const children: ChildProcess[] = [];
  let stopping = false;
  const exits = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  const stop = async () => {
    stopping = true;
    await Promise.all(
      children.map(async (child) => {
        if (child.connected) child.send({ type: 'stop' } satisfies WorkerProcessMessage);
        else child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exits(child);
        clearTimeout(timer);
      }),
    );
  };
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const output = options.follow ? 'pipe' : (options.output ?? 'inherit');
        const child = fork(entry, [], { execArgv: childExecArgv(entry), stdio: ['ignore', output, output, 'ipc'] });
        children.push(child);
        for (const stream of [child.stdout, child.stderr]) if (stream && options.follow) options.follow(stream, `tessera-worker[${child.pid}]`);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`worker process ${index + 1} not ready in ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
          child.on('message', (message: WorkerProcessReply) => {
            clearTimeout(timer);
            if (message.type === 'ready') resolve();
            else reject(new Error(`worker process ${index + 1} failed: ${message.error}`));
          });
          child.once('exit', (code) => reject(new Error(`worker process ${index + 1} exited during start-up (code ${code})`)));
          child.send({ type: 'start', spec } satisfies WorkerProcessMessage);
        });
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const failed = new Promise<never>((_, reject) => {
    for (const child of children) {
      child.once('exit', (code, signal) => {
        if (!stopping) reject(new Error(`worker process ${child.pid} exited (code ${code}, signal ${signal})`));
      });
    }
  });
  failed.catch(() => undefined);
  return { pids: children.map((child) => child.pid ?? 0), failed, stop };
}

/** The same Node.js flags as this process, and the tsx loader when run from source by a parent
 * that loaded TypeScript some other way (a test runner). */
function childExecArgv(entry: string): string[] {
  const fromSource = entry.endsWith('.ts');
  const hasTsx = process.execArgv.some((arg) => arg.includes('tsx'));
  return fromSource && !hasTsx ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
}
