/**
 * `npm start`: the embedded Tessera stack. Prints where everything is, and stops every child
 * process on Ctrl-C (SIGINT) or SIGTERM. Logs: full JSON records in `.data/logs/tessera.log`,
 * short lines on the terminal (`launcher-log.ts`).
 */
// First: every module loaded after it uses the compile cache.
import { flushCompileCache } from '../compile-cache';
import { loadConfigOrExit, requireSharedSecretsOrExit, usesSharedServices } from '../config';
import { PortInUseError } from './child-service';
import type { Logger } from 'pino';
import type { RunningStack } from './stack';
import { launchStackServices, type StartedServices } from './stack-services';
import { startupTrace } from './startup-trace';

async function main(): Promise<void> {
  startupTrace.mark('launcher modules loaded');
  const config = loadConfigOrExit();
  // Against external Temporal, MongoDB and Redis this process is a worker replica of a shared
  // deployment: it must be given the secrets the API replicas hold, never invent its own.
  if (usesSharedServices(config)) requireSharedSecretsOrExit(config, { analytics: true, process: 'tessera' });
  // The embedded services start first, and the rest of Tessera (the Temporal SDK, the stores, the
  // API: a second or more of module loading) loads while they come up. startStack takes them over.
  const launch = launchStackServices(config);
  const services = launch.ready;
  services.catch(() => undefined); // a port in use: startStack reports it

  let stack: RunningStack | undefined;
  let log: Logger | undefined = undefined; // once the log is open
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      if (log) log.warn(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    log?.info(`${signal}: stopping Tessera`);
    // Before the stack has taken the services over, they are stopped here.
    await (stack ? stack.stop() : stopServices(services));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  // Until every service is spawned (a few milliseconds): loading modules would hold the spawns back.
  await startupTrace.step('services spawned', launch.spawned);

  const [{ openLauncherLog }, { Runtime }, { temporalLogger }, { startStack }] = await startupTrace
    .step('modules loaded', Promise.all([import('./launcher-log.js'), import('@temporalio/worker'), import('../telemetry/logging.js'), import('./stack.js')]))
    .catch(async (error: unknown) => {
      process.stderr.write(`tessera: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      await stopServices(services);
      return process.exit(1);
    });
  if (stopping) return;
  const logs = openLauncherLog({ dataDir: config.dataDir, level: config.LOG_LEVEL, format: config.TESSERA_LOG_FORMAT });
  log = logs.log;
  // The Temporal SDK logs workflow bundling and every worker state change at INFO: keep it to
  // warnings unless debugging.
  const verbose = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
  Runtime.install({
    logger: temporalLogger(log, verbose ? 'DEBUG' : 'WARN'),
    ...(config.TESSERA_WORKER_METRICS_PORT
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.TESSERA_WORKER_METRICS_PORT}` } } } }
      : {}),
  });

  try {
    stack = await startStack(config, log, { detail: logs.detail, follow: logs.follow }, services);
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`tessera: ${error.message}\n`);
    } else {
      // One line on the terminal; the record with its stack in the log file.
      logs.detail.error({ err: error }, 'start-up failed');
      process.stderr.write(`tessera: start-up failed: ${error instanceof Error ? error.message : String(error)} (stack: ${logs.file})\n`);
    }
    process.exit(1);
  }
  if (stopping) return;
  if (config.TESSERA_STARTUP_TRACE === '1') {
    log.info({ startup_ms: startupTrace.fields() }, 'start-up trace');
    process.stderr.write(`tessera: start-up trace (ms since the process began):\n${startupTrace.report()}\n`);
  }

  const lines = [
    '',
    'Tessera is up.',
    `  API:            ${stack.apiUrl}   (health: ${stack.apiUrl}/api/health)`,
    `  Console:        ${stack.apiUrl}/console/   (sign in with the admin key or an app key)`,
    stack.webUiUrl ? `  Temporal UI:    ${stack.webUiUrl}` : `  Temporal:       ${stack.temporalAddress}`,
    `  Admin key:      ${stack.adminKey}`,
    `  Embedded:       ${stack.embedded.join(', ') || 'none (all external)'}`,
    `  Data:           ${config.dataDir}`,
    `  Logs:           ${logs.file}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  flushCompileCache();
}

/** Stops the services that started (each stop is a no-op when already stopped). */
async function stopServices(services: Promise<StartedServices>): Promise<void> {
  const started = await services.catch((): StartedServices => []);
  for (const result of started) if (result.status === 'fulfilled') await result.value?.stop();
}

void main();
