/**
 * `npm start`: the embedded Tessera stack. Prints where everything is, and stops every child
 * process on Ctrl-C (SIGINT) or SIGTERM. Logs: full JSON records in `.data/logs/tessera.log`,
 * short lines on the terminal (`launcher-log.ts`).
 */
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit, requireSharedSecretsOrExit, usesSharedServices } from '../config';
import { temporalLogger } from '../telemetry/logging';
import { PortInUseError } from './child-service';
import { openLauncherLog } from './launcher-log';
import { startStack, type RunningStack } from './stack';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Against external Temporal, MongoDB and Redis this process is a worker replica of a shared
  // deployment: it must be given the secrets the API replicas hold, never invent its own.
  if (usesSharedServices(config)) requireSharedSecretsOrExit(config, { analytics: true, process: 'tessera' });
  const logs = openLauncherLog({ dataDir: config.dataDir, level: config.LOG_LEVEL, format: config.TESSERA_LOG_FORMAT });
  const log = logs.log;
  // The Temporal SDK logs workflow bundling and every worker state change at INFO: keep it to
  // warnings unless debugging.
  const verbose = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
  Runtime.install({
    logger: temporalLogger(log, verbose ? 'DEBUG' : 'WARN'),
    ...(config.TESSERA_WORKER_METRICS_PORT
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.TESSERA_WORKER_METRICS_PORT}` } } } }
      : {}),
  });

  let stack: RunningStack | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    log.info(`${signal}: stopping Tessera`);
    await stack?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    stack = await startStack(config, log, { detail: logs.detail, follow: logs.follow });
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
}

void main();
