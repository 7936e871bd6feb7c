/**
 * The stack's embedded services as child processes (Temporal dev server, FerretDB on PostgreSQL,
 * Redis), each skipped when an external address is configured. This module and what it imports
 * stay light (no Temporal SDK, no stores): the launcher starts the services before it loads the rest
 * of Tessera, so their start-up overlaps the second or so Node.js spends loading modules.
 */
import path from 'node:path';
import type { Config } from '../config';
import { assertPortFree, type ChildService } from './child-service';
import { startFerretDb, startRedisServer, startTemporalDevServer, toolPaths } from './embedded-services';
import { startupTrace as trace } from './startup-trace';

/** Each service's outcome, in start order; undefined where the service is external. */
export type StartedServices = PromiseSettledResult<ChildService | undefined>[];

/** Whether the stack runs the offline model (no model endpoint configured). */
export function usesOfflineModel(config: Config): boolean {
  return !config.OPENAI_API_KEY && !config.OPENAI_BASE_URL;
}

/** Checks every port the stack will bind before starting anything, so a clash fails fast and
 * clearly (PortInUseError), then starts the services side by side and waits for all of them. */
export async function startStackServices(config: Config): Promise<StartedServices> {
  await assertStackPortsFree(config);
  const tools = toolPaths(config.toolsDir);
  return Promise.allSettled([
    config.TEMPORAL_ADDRESS
      ? undefined
      : trace.step(
          'Temporal dev server',
          startTemporalDevServer({
            binary: tools.temporal,
            dataDir: path.join(config.dataDir, 'temporal'),
            port: config.TEMPORAL_DEV_PORT,
            uiPort: config.TEMPORAL_UI_PORT,
            namespace: config.TEMPORAL_NAMESPACE,
          }),
        ),
    config.MONGODB_URI
      ? undefined
      : trace.step('FerretDB on PostgreSQL', startFerretDb({ binary: tools.ferretdb, dataDir: path.join(config.dataDir, 'mongo'), port: config.FERRETDB_PORT })),
    config.REDIS_URL
      ? undefined
      : trace.step('Redis', startRedisServer({ binary: tools.redisServer, dataDir: config.dataDir, port: config.REDIS_PORT, persist: true })),
  ]);
}

async function assertStackPortsFree(config: Config): Promise<void> {
  await assertPortFree(config.PORT, 'PORT', 'the Tessera API');
  if (!config.TEMPORAL_ADDRESS) {
    await assertPortFree(config.TEMPORAL_DEV_PORT, 'TEMPORAL_DEV_PORT', 'the Temporal dev server');
    await assertPortFree(config.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT', 'the Temporal Web UI');
  }
  if (!config.MONGODB_URI) await assertPortFree(config.FERRETDB_PORT, 'FERRETDB_PORT', 'FerretDB');
  if (!config.REDIS_URL) await assertPortFree(config.REDIS_PORT, 'REDIS_PORT', 'Redis');
  if (usesOfflineModel(config)) await assertPortFree(config.OFFLINE_MODEL_PORT, 'OFFLINE_MODEL_PORT', 'the offline model');
}
