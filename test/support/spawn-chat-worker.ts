/** Starts `chat-worker-process.ts` in a process of its own and resolves once it polls, so a test
 * can SIGKILL it mid-turn. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ChatKit } from './chat-kit';
import type { ChatWorkerProcessSettings } from './chat-worker-process';
import { services } from './services';

/** Settings for a worker process serving `kit`'s task queue, database and Redis prefix. */
export function kitWorkerSettings(kit: ChatKit, temporalAddress: string, llmBaseUrl: string): ChatWorkerProcessSettings {
  return {
    temporalAddress,
    taskQueue: kit.taskQueue,
    mongoUri: services().mongoUri,
    mongoDb: kit.mongoDb,
    redisUrl: services().redisUrl,
    redisPrefix: kit.redisPrefix,
    llmBaseUrl,
    workflowBundlePath: services().workflowBundlePath,
  };
}

export function startChatWorkerProcess(settings: ChatWorkerProcessSettings): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, 'chat-worker-process.ts'), JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

/** SIGKILLs the worker process and waits until it is gone. */
export async function killWorkerProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
