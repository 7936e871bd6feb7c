/**
 * A chat worker process, started by the launcher (`TESSERA_WORKER_PROCESSES`) or a benchmark over
 * an IPC channel: it receives its `ChatWorkerSpec` as the first message, answers `ready` once it
 * polls, and shuts down cleanly on `stop`, SIGTERM, SIGINT or when its parent goes away. It logs
 * JSON records to stdout (LOG_LEVEL, inherited from the launcher, which files and shows them).
 */
// First: every module loaded after it uses the compile cache (compiled `npm start` only).
import { flushCompileCache } from '../compile-cache';
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config';
import { createLogger, temporalLogger } from '../telemetry/logging';
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
  const level = loadConfigOrExit().LOG_LEVEL; // the launcher's environment, inherited
  const log = createLogger({ level, base: { service: 'tessera-worker', pid: process.pid } });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop.abort());
  process.on('disconnect', () => stop.abort());
  process.on('message', (message: WorkerProcessMessage) => {
    if (message.type === 'stop') {
      stop.abort();
      return;
    }
    const ready = () => {
      log.info({ task_queue: message.spec.taskQueue }, 'worker process polling');
      reply({ type: 'ready' });
      flushCompileCache();
    };
    // Installed once the spec is here: it may ask for the runtime's own metrics (benchmarks read them).
    const { runtimeMetricsPort } = message.spec;
    Runtime.install({
      logger: temporalLogger(log, level === 'debug' || level === 'trace' ? 'DEBUG' : 'WARN'),
      shutdownSignals: [],
      ...(runtimeMetricsPort ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${runtimeMetricsPort}` } } } } : {}),
    });
    runChatWorker(message.spec, stop.signal, ready).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'worker process failed');
        reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exitCode = 1;
        setTimeout(() => process.exit(1), 100);
      },
    );
  });
}

main();
