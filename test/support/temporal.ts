/**
 * Temporal test environments on real servers: the Java time-skipping test server (one per test
 * file, since skipped time is global to a server) or a real dev server from the Temporal CLI.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DEV_SERVER_FAIRNESS_ARGS, EAGER_ACTIVITY_ARGS } from '../../src/dev/embedded-services';
import { SA, SEARCH_ATTRIBUTES } from '../../src/workflows/contract';
import { services } from './services';

let runtimeInstalled = false;

/** Keeps worker logs to errors: many tests fail activities on purpose. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await startingAgain(() =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: services().testServerPath } },
    }),
  );
  // Tessera's workflows set their search attributes; the test server must know them, as a real
  // cluster would.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return env;
}

/** A real Temporal dev server (CLI) with Tessera's search attributes, for crash/restart tests. */
export async function startDevServer(options: { eagerActivities?: boolean } = {}): Promise<TestWorkflowEnvironment> {
  const eager = options.eagerActivities ?? true;
  quietRuntime();
  return startingAgain(() => TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: services().temporalCliPath },
      ip: '127.0.0.1',
      searchAttributes: Object.values(SA),
      extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true', ...DEV_SERVER_FAIRNESS_ARGS, ...(eager ? EAGER_ACTIVITY_ARGS : []), '--headless'],
    },
  }));
}

/** The SDK gives an ephemeral server (the Java test server, the dev server) 5 s to answer; on a machine whose load is far above its
 * cores (other suites beside this one) the JVM can take longer. Try again, a few times. */
async function startingAgain<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !/did not start within/.test(String(error))) throw error;
    }
  }
}
