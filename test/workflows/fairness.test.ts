/**
 * Temporal Priority and Fairness takes effect on the embedded dev server: with
 * `matching.enableFairness` on, a backlog of one tenant's tasks no longer runs ahead of another
 * tenant's that arrived after it — their tasks are dispatched in turn. The same backlog on a server
 * without the setting runs first come, first served (the control, in the same test).
 */
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { DEV_SERVER_FAIRNESS_ARGS } from '../../src/dev/embedded-services';
import { services, uniqueName } from '../support/services';
import { quietRuntime } from '../support/temporal';

const NOISY = 30;
const QUIET = 5;

/** One partition per task queue on both servers: with several, pollers pick partitions at random and
 * each partition orders only its own share of the backlog, which blurs what fairness does. */
const ONE_PARTITION = [
  '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
];

async function dispatchOrder(extraArgs: string[]): Promise<string[]> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: services().temporalCliPath },
      ip: '127.0.0.1',
      extraArgs: ['--headless', ...ONE_PARTITION, ...extraArgs],
    },
  });
  try {
    const taskQueue = uniqueName('fairness');
    const start = (key: string, i: number) =>
      env.client.workflow.start('fairnessProbe', { workflowId: `${key}-${i}`, taskQueue, args: [key], priority: { fairnessKey: key } });
    // The backlog builds with no worker polling: the noisy tenant's first, then the quiet one's.
    for (let i = 0; i < NOISY; i++) await start('noisy', i);
    for (let i = 0; i < QUIET; i++) await start('quiet', i);
    const order: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: path.resolve(__dirname, '../support/workflows/fairness-probe.ts'),
      activities: { touch: async (key: string) => void order.push(key) },
      maxConcurrentWorkflowTaskExecutions: 2,
      maxConcurrentActivityTaskExecutions: 1,
      maxConcurrentWorkflowTaskPolls: 2,
      maxConcurrentActivityTaskPolls: 1,
    });
    await worker.runUntil(async () => {
      while (order.length < NOISY + QUIET) await new Promise((resolve) => setTimeout(resolve, 50));
    });
    return order;
  } finally {
    await env.teardown();
  }
}

/** The median position at which the quiet tenant's tasks ran. */
function medianQuiet(order: string[]): number {
  const positions = order.flatMap((key, i) => (key === 'quiet' ? [i] : []));
  return positions[Math.floor(positions.length / 2)] ?? Infinity;
}

it('fairness on: the quiet tenant is served in turn with the noisy backlog, not after it', async () => {
  const [fair, fifo] = [await dispatchOrder(DEV_SERVER_FAIRNESS_ARGS), await dispatchOrder([])];
  console.info(`fairness: quiet median position ${medianQuiet(fair)} with fairness, ${medianQuiet(fifo)} without (of ${NOISY + QUIET})`);
  // Without fairness the quiet tenant waits behind most of the noisy backlog; with it, its tasks
  // are dispatched in turn with the noisy ones (measured with one partition: median position 5 vs 32 of 35, the same in repeated runs).
  expect(medianQuiet(fair)).toBeLessThan(NOISY / 2);
  expect(medianQuiet(fifo) - medianQuiet(fair)).toBeGreaterThanOrEqual(8);
}, 240_000);
