/**
 * Starts the real services once per test run (FerretDB on PostgreSQL, Redis, the offline model), on free loopback ports, and hands their addresses to
 * the test files through `inject('services')`. Each test file then takes its own Mongo database,
 * Redis key prefix and chDB directory (see test/support/services.ts).
 *
 * The time-skipping Temporal test server is the exception: each workflow test file starts its own
 * (`startTimeSkipping()` in test/support/temporal.ts), because skipped time is global to a server
 * and one file's skipped hours would fire another file's timers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { freePort } from '../src/dev/child-service';
import { startFerretDb, startRedisServer, toolPaths } from '../src/dev/embedded-services';
import { startOfflineModel } from '../src/dev/offline-model';
import type { TestServices } from './support/services';

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

export default async function setup(project: TestProject) {
  const toolsDir = path.resolve(__dirname, '..', '.tools');
  const tools = toolPaths(toolsDir);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.allSettled(started.map((service) => service.stop()));
  };
  try {
    const [mongoPort, redisPort] = [await freePort(), await freePort()];
    started.push(await startFerretDb({ binary: tools.ferretdb, dataDir: runDir, port: mongoPort }));
    started.push(await startRedisServer({ binary: tools.redisServer, dataDir: runDir, port: redisPort, persist: false }));
    const model = await startOfflineModel({ port: 0 });
    started.push({ stop: () => model.close() });
    const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../src/workflows/index.ts'),
      logger: new DefaultLogger('WARN'),
    });
    fs.writeFileSync(workflowBundlePath, bundle.code);
    const services: TestServices = {
      mongoUri: `mongodb://127.0.0.1:${mongoPort}/`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      llmBaseUrl: model.url,
      testServerPath: tools.testServer,
      temporalCliPath: tools.temporal,
      workflowBundlePath,
      runDir,
    };
    project.provide('services', services);
    return async () => {
      await stopAll();
      fs.rmSync(runDir, { recursive: true, force: true });
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
