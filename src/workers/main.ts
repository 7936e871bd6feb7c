/**
 * A chat worker process, started by the launcher (`TESSERA_WORKER_PROCESSES`) or a benchmark over
 * an IPC channel: it receives its `ChatWorkerSpec` as the first message, answers `ready` once it
 * polls, and shuts down cleanly on `stop`, SIGTERM, SIGINT or when its parent goes away.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runChatWorker, type ChatWorkerSpec } from './chat-worker-spec';

export type WorkerProcessMessage = { type: 'start'; spec: ChatWorkerSpec } | { type: 'stop' };
export type WorkerProcessReply = { type: 'ready' } | { type: 'failed'; error: string };

function reply(message: WorkerProcessReply): void {
  process.send?.(message);
}

function main(): void {
  if (!process.send) {
    process.stderr.write('tessera worker: start me through the launcher (TESSERA_WORKER_PROCESSES), not by hand\n');
    process.exit(2);
  }
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop.abort());
  process.on('disconnect', () => stop.abort());
  process.on('message', (message: WorkerProcessMessage) => {
    if (message.type === 'stop') {
      stop.abort();
      return;
    }
    runChatWorker(message.spec, stop.signal, () => reply({ type: 'ready' })).then(
      () => process.exit(0),
      (error: unknown) => {
        reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exitCode = 1;
        setTimeout(() => process.exit(1), 100);
      },
    );
  });
}

main();
