/**
 * Temporal Priority and Fairness takes effect on the embedded dev server: with
 * `matching.enableFairness` on, a backlog of one tenant's tasks no longer runs ahead of another
 * tenant's that arrived after it — their tasks are dispatched in turn. The same backlog on a server
 * without the setting runs first come, first served (the control, in the same test). And every
 * chat, pack run, pack step and their activities carry the app as their fairness key.
 */
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Context } from '@temporalio/activity';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { DEV_SERVER_FAIRNESS_ARGS, ONE_PARTITION_ARGS } from '../../src/dev/embedded-services';
import { workflowIds } from '../../src/workflows/contract';
import { createChatKit } from '../support/chat-kit';
import { inlinePack, startRun } from '../support/pack-kit';
import { services, uniqueName } from '../support/services';
import { quietRuntime, startDevServer } from '../support/temporal';

const NOISY = 30;
const QUIET = 5;


async function dispatchOrder(extraArgs: string[]): Promise<string[]> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: services().temporalCliPath },
      ip: '127.0.0.1',
      extraArgs: ['--headless', ...extraArgs],
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
  // The embedded server's own settings (fairness on one partition per queue: with several, pollers
  // pick partitions at random and each orders only its share of the backlog — a median of 26 in one
  // run); the control has the same single partition without fairness.
  const [fair, fifo] = [await dispatchOrder(DEV_SERVER_FAIRNESS_ARGS), await dispatchOrder(ONE_PARTITION_ARGS)];
  console.info(`fairness: quiet median position ${medianQuiet(fair)} with fairness, ${medianQuiet(fifo)} without (of ${NOISY + QUIET})`);
  // Without fairness the quiet tenant waits behind most of the noisy backlog; with it, its tasks
  // are dispatched in turn with the noisy ones (measured with one partition: median position 5 vs 32 of 35, the same in repeated runs).
  expect(medianQuiet(fair)).toBeLessThan(NOISY / 2);
  expect(medianQuiet(fifo) - medianQuiet(fair)).toBeGreaterThanOrEqual(8);
}, 240_000);

/** The fairness key of a workflow's start and of the children it starts, as `what:key` in history order. */
async function startedKeys(env: TestWorkflowEnvironment, workflowId: string): Promise<string[]> {
  const { EventType } = temporal.api.enums.v1;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
      return [`started:${event.workflowExecutionStartedEventAttributes?.priority?.fairnessKey ?? ''}`];
    }
    if (event.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
      return [`child:${event.startChildWorkflowExecutionInitiatedEventAttributes?.priority?.fairnessKey ?? ''}`];
    }
    return [];
  });
}

it('a pack run, its steps and their activities carry the app as their fairness key, as a chat does', async () => {
  // Without eager activity dispatch: a task the server hands straight back to the worker that
  // scheduled it never waits in matching, where the fairness key orders a backlog, and its info
  // carries no priority (measured: an empty key with eager on). What is checked here is the key a
  // queued task is dispatched with.
  const env = await startDevServer({ eagerActivities: false });
  const kit = await createChatKit(env, { label: 'fairpack' });
  // Activities inherit their workflow's priority when they run (their scheduled events leave it
  // empty): what each activity task was dispatched with is read from its info as it starts.
  const dispatched: string[] = [];
  const interceptors = {
    activity: [(ctx: Context) => ({
      inbound: {
        execute: (input: unknown, next: (input: unknown) => Promise<unknown>) => {
          // Local activities run in the workflow task: no task queue, no dispatch order.
          if (!ctx.info.isLocal) dispatched.push(`${ctx.info.workflowType}/${ctx.info.activityType}:${ctx.info.priority?.fairnessKey ?? ''}`);
          return next(input);
        },
      },
    })],
  } as WorkerOptions['interceptors'];
  try {
    const pack = inlinePack({ name: 'fair', steps: [{ id: 'only', template: 'assistant', prompt: 'Say hello.' }] });
    await kit.withWorker(async () => {
      await (await startRun(kit, env.client, { appId: 'fair-app', runId: 'r1', pack })).result();
      await kit.chats.sendMessage({ appId: 'fair-app', chatId: 'c1', userId: 'u1', template: kit.template('assistant'), content: 'hello' });
    }, interceptors);
    expect(await startedKeys(env, workflowIds.pack('fair-app', 'r1'))).toEqual(['started:fair-app', 'child:']);
    // The step's key is its run's, inherited (the child command leaves it empty, as above).
    expect(await startedKeys(env, workflowIds.packStep('fair-app', 'r1', 'only'))).toEqual(['started:fair-app']);
    expect((await startedKeys(env, workflowIds.chat('fair-app', 'c1')))[0]).toBe('started:fair-app');
    expect(new Set(dispatched)).toEqual(new Set(['packStep/llmStep:fair-app', 'chatSession/llmStep:fair-app']));
  } finally {
    await kit.close();
    await env.teardown();
  }
}, 240_000);
