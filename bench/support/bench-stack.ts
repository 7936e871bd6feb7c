/**
 * The services one benchmark run measures against, all fresh and on free loopback ports: a
 * Temporal dev server, FerretDB and Redis as child processes, and the offline model in-process
 * with zero token latency (so the model's own time is not what gets measured).
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { freePort, type ChildService } from '../../src/dev/child-service';
import { startFerretDb, startRedisServer, startTemporalDevServer, toolPaths } from '../../src/dev/embedded-services';
import { startOfflineModel } from '../../src/dev/offline-model';
import type { Teardown } from '../../src/dev/teardown';

export interface BenchStack {
  temporalAddress: string;
  /** The dev server's Prometheus endpoint. */
  temporalMetricsUrl: string;
  mongoUri: string;
  redisUrl: string;
  /** Base URL of the offline model, ending in /v1. */
  llmBaseUrl: string;
}

/** `temporalDynamicConfig`: dev server settings beyond the embedded stack's own (`KEY=JSON_VALUE`). */
export async function startBenchStack(opts: { toolsDir: string; scratchDir: string; teardown: Teardown; temporalDynamicConfig?: readonly string[] }): Promise<BenchStack> {
  const tools = toolPaths(opts.toolsDir);
  const [temporalPort, metricsPort, mongoPort, redisPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const settled = await Promise.allSettled<ChildService>([
    // Headless: the benchmark needs no Web UI.
    startTemporalDevServer({
      binary: tools.temporal,
      dataDir: path.join(opts.scratchDir, 'temporal'),
      port: temporalPort,
      metricsPort,
      namespace: 'default',
      ...(opts.temporalDynamicConfig ? { dynamicConfig: opts.temporalDynamicConfig } : {}),
    }),
    startFerretDb({ binary: tools.ferretdb, dataDir: path.join(opts.scratchDir, 'mongo'), port: mongoPort }),
    startRedisServer({ binary: tools.redisServer, dataDir: opts.scratchDir, port: redisPort, persist: false }),
  ]);
  // Register whatever did start before reporting what did not, so the caller's teardown stops it.
  for (const result of settled) {
    if (result.status === 'fulfilled') opts.teardown.add(result.value.name, () => result.value.stop());
  }
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;

  const model = await startOfflineModel({ port: 0, tokenLatencyMs: 0 });
  opts.teardown.add('offline model', () => model.close());
  return {
    temporalAddress: `127.0.0.1:${temporalPort}`,
    temporalMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    mongoUri: `mongodb://127.0.0.1:${mongoPort}/`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    llmBaseUrl: model.url,
  };
}

export interface BenchTemporal {
  /** The client side's connection (and its `Client`), and the workers' own native one. */
  connection: Connection;
  client: Client;
  nativeConnection: NativeConnection;
}

/** Connects a client and workers to the run's Temporal; both close with the run's teardown. */
export async function connectBenchTemporal(address: string, teardown: Teardown): Promise<BenchTemporal> {
  const connection = await Connection.connect({ address });
  teardown.add('Temporal client', () => connection.close());
  const nativeConnection = await NativeConnection.connect({ address });
  teardown.add('Temporal worker connection', () => nativeConnection.close());
  return { connection, client: new Client({ connection }), nativeConnection };
}
