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

/** The services' start, in two stages: `spawned` once every embedded process is launched (the
 * launcher waits for that before it loads the rest of Tessera: module loading holds the event loop
 * for a second, and a spawn queued behind it would start that much later), `ready` once all answer. */
export interface StackServicesLaunch {
  spawned: Promise<void>;
  ready: Promise<StartedServices>;
}

/** Checks every port the stack will bind before starting anything, so a clash fails fast and
 * clearly (PortInUseError), then starts the services side by side. */
export function launchStackServices(config: Config): StackServicesLaunch {
  const spawns: Promise<void>[] = [];
  const spawnSignal = () => {
    let signal: () => void = () => undefined;
    spawns.push(new Promise<void>((resolve) => (signal = resolve)));
    return signal;
  };
  const tools = toolPaths(config.toolsDir);
  const temporalSpawned = config.TEMPORAL_ADDRESS ? undefined : spawnSignal();
  const mongoSpawned = config.MONGODB_URI ? undefined : spawnSignal();
  const redisSpawned = config.REDIS_URL ? undefined : spawnSignal();
  const ready = assertStackPortsFree(config).then(() =>
    Promise.allSettled([
      temporalSpawned &&
        trace.step(
          'Temporal dev server',
          startTemporalDevServer({
            binary: tools.temporal,
            dataDir: path.join(config.dataDir, 'temporal'),
            port: config.TEMPORAL_DEV_PORT,
            uiPort: config.TEMPORAL_UI_PORT,
            namespace: config.TEMPORAL_NAMESPACE,
            onSpawn: temporalSpawned,
          }),
        ),
      mongoSpawned &&
        trace.step('FerretDB on PostgreSQL', startFerretDb({ binary: tools.ferretdb, dataDir: path.join(config.dataDir, 'mongo'), port: config.FERRETDB_PORT, onSpawn: mongoSpawned })),
      redisSpawned &&
        trace.step('Redis', startRedisServer({ binary: tools.redisServer, dataDir: config.dataDir, port: config.REDIS_PORT, persist: true, onSpawn: redisSpawned })),
    ]),
  );
  // A service that fails before its spawn (a port in use) ends the wait too: `ready` reports it.
  const settledReady = ready.then(
    () => undefined,
    () => undefined,
  );
  const spawned = Promise.race([Promise.all(spawns).then(() => undefined), settledReady]);
  return { spawned, ready };
}

/** `launchStackServices` for a caller that only waits for the services to answer. */
export function startStackServices(config: Config): Promise<StartedServices> {
  return launchStackServices(config).ready;
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
