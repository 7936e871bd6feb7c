/**
 * (c) for bench:ttft: what Temporal alone costs between a message and the code that calls the
 * model, on the same dev server in the same run. A bare workflow (bench/workflows/bare-update.ts)
 * takes each message as an Update-with-Start, accepted as Tessera's are, and its handler schedules
 * one regular activity (dispatched eagerly, as `llmStep` is); the sample is the time from the
 * client's call to that activity's first line. No HTTP, no stores, no bookkeeping in the workflow:
 * any durable chat that calls its model from an activity pays at least this on top of (b), which
 * is what makes it the floor under issue 21's first-token targets on this server.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import path from 'node:path';
import { preciseNow } from '../../src/dev/offline-model';
import type { Teardown } from '../../src/dev/teardown';
import { summarizeStages, tesseraStages, type TurnStamps } from './ttft-breakdown';
import { bareTurnUpdate, doneSignal, type bareUpdateWorkflow } from '../workflows/bare-update';
import type { BaselineActivities } from './baseline-activities';

const TASK_QUEUE = 'bench-ttft-floor';
const WORKFLOW_ID = 'ttft-floor';

export interface FloorSample {
  /** The client's call → the activity's first line, ms. */
  activityStarted: number;
  /** The client's call → the Update accepted back at the client, ms. */
  accepted: number;
}

export interface TemporalFloor {
  /** One message through the bare workflow (contents must differ between calls); `keep`: its
   * stamps count in `stages`. */
  sample(content: string, keep: boolean): Promise<FloorSample>;
  /** The kept samples hop by hop, from the workflow's history, labelled as Tessera's are (the
   * client's call for the POST, the Update accepted for the 202, the activity's first line for
   * the first delta). */
  stages(): Promise<ReturnType<typeof summarizeStages>>;
}

export async function startTemporalFloor(temporal: { client: Client; nativeConnection: NativeConnection }, teardown: Teardown): Promise<TemporalFloor> {
  const started = new Map<string, (at: number) => void>();
  const kept: TurnStamps[] = [];
  let sent = 0;
  const activities: BaselineActivities = {
    async noop(content) {
      started.get(content)?.(preciseNow());
      return content;
    },
  };
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath: path.join(__dirname, '..', 'workflows', 'bare-update.ts'),
    activities,
    shutdownGraceTime: '2 seconds',
  });
  const running = worker.run();
  teardown.add('floor worker', async () => {
    await temporal.client.workflow.getHandle(WORKFLOW_ID).signal(doneSignal).catch(() => undefined);
    worker.shutdown();
    await running;
  });
  return {
    async sample(content, keep) {
      const updateId = `floor-${++sent}`;
      const activityStarted = new Promise<number>((resolve) => started.set(content, resolve));
      const sentAt = preciseNow();
      const handle = await temporal.client.workflow.startUpdateWithStart(bareTurnUpdate, {
        args: [content],
        updateId,
        waitForStage: 'ACCEPTED',
        startWorkflowOperation: new WithStartWorkflowOperation<typeof bareUpdateWorkflow>('bareUpdateWorkflow', {
          workflowId: WORKFLOW_ID,
          taskQueue: TASK_QUEUE,
          args: [{ maxUpdates: 1_000_000 }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      const acceptedAt = preciseNow();
      const [startedAt] = await Promise.all([activityStarted, handle.result()]);
      started.delete(content);
      if (keep) kept.push({ turnId: updateId, sentAt, acceptedAt, firstDeltaAt: startedAt });
      return { activityStarted: startedAt - sentAt, accepted: acceptedAt - sentAt };
    },
    async stages() {
      return summarizeStages(await tesseraStages(temporal.client, WORKFLOW_ID, kept, 'noop'));
    },
  };
}
