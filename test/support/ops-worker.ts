/** The ops worker beside an API stack (its own task queue), and a running fast monitoring loop. */
import { Worker } from '@temporalio/worker';
import { createOpsActivities, type OpsNotice } from '../../src/activities/ops';
import type { opsMonitor } from '../../src/workflows/ops-monitor';
import type { ApiStack } from './api-stack';
import { services, uniqueName } from './services';

export interface RunningOps {
  taskQueue: string;
  notices: OpsNotice[];
  activities: ReturnType<typeof createOpsActivities>;
  stop(): Promise<void>;
}

export async function startOpsBeside(stack: ApiStack, monitor: { intervalSeconds: number; realertSeconds: number } | null): Promise<RunningOps> {
  const taskQueue = uniqueName('ops-queue');
  const notices: OpsNotice[] = [];
  const activities = createOpsActivities({
    mongo: stack.kit.mongo,
    redis: stack.kit.redis,
    temporal: stack.env.client,
    taskQueue,
    notifier: { notify: async (notice) => void notices.push(notice) },
  });
  const worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: services().workflowBundlePath },
    activities,
  });
  const running = worker.run();
  const loop = monitor
    ? await stack.env.client.workflow.start<typeof opsMonitor>('opsMonitor', {
        workflowId: uniqueName('ops-monitor'),
        taskQueue,
        args: [{ mode: 'loop', ...monitor }],
      })
    : undefined;
  return {
    taskQueue,
    notices,
    activities,
    async stop() {
      await loop?.terminate('test over').catch(() => undefined);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
