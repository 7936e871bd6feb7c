/**
 * An API stack with two more API processes beside it, all on one Temporal, MongoDB database and
 * Redis prefix, and an offline model paced per token so turns overlap: for tests that show state is
 * shared across replicas (admission, budgets, streams).
 */
import { startOfflineModel, type RunningOfflineModel } from '../../src/dev/offline-model';
import { TASK_QUEUES } from '../../src/workflows/contract';
import { startApiProcess, type ApiProcess } from './api-process';
import { startApiStack, type ApiStack } from './api-stack';

export interface ReplicatedStack {
  stack: ApiStack;
  model: RunningOfflineModel;
  replicas: [ApiProcess, ApiProcess];
  close(): Promise<void>;
}

export async function startReplicatedStack(options: { label: string; tokenLatencyMs: number }): Promise<ReplicatedStack> {
  const model = await startOfflineModel({ port: 0, tokenLatencyMs: options.tokenLatencyMs });
  // API processes send chats to `tessera-chat`: the stack's worker polls it.
  const stack = await startApiStack({ label: options.label, llmBaseUrl: model.url, taskQueue: TASK_QUEUES.chat });
  const replicas = (await Promise.all([startApiProcess(stack), startApiProcess(stack)])) as [ApiProcess, ApiProcess];
  return {
    stack,
    model,
    replicas,
    async close() {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await stack.close();
      await model.close();
    },
  };
}
