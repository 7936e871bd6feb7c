import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTimeSkipping } from '../support/temporal';
import { sleepOneHour } from '../support/workflows/durable-timer';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTimeSkipping();
});

afterAll(async () => {
  await env?.teardown();
});

it('completes a one-hour durable timer by skipping time', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'harness-timer',
    workflowsPath: path.resolve(__dirname, '../support/workflows/durable-timer.ts'),
  });
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(sleepOneHour, {
      taskQueue: 'harness-timer',
      workflowId: 'harness-timer-1',
    });
    const before = await env.currentTimeMs();
    const value = await handle.result();
    const skippedMs = (await env.currentTimeMs()) - before;
    return { value, skippedMs };
  });
  expect(result.value).toBe('woke');
  // The server's clock moved an hour although the test did not wait for it.
  expect(result.skippedMs).toBeGreaterThanOrEqual(60 * 60 * 1000);
});
