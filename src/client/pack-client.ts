/**
 * Starts and talks to `packRun` workflows: one place that builds a run's input (the pack and its
 * templates snapshotted, the budget in nano-dollars, parallelism bounded by the app's limit), its
 * id and search attributes. Used by the API, the tests and the benchmark.
 */
import { WorkflowIdReusePolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ActorContext } from '../domain/audit';
import type { PackDefinition, PackRunInput, PackRunStatus } from '../domain/packs';
import { usdToNanos } from '../domain/pricing';
import type { ChatTemplate } from '../domain/templates';
import { packRunStatusQuery, SA, TASK_QUEUES, workflowIds } from '../workflows/contract';
import type { packRun } from '../workflows/pack-run';
import { appPriority } from './fairness';

export interface StartPackRun {
  appId: string;
  runId: string;
  userId: string;
  pack: PackDefinition;
  template(name: string): ChatTemplate;
  input: Record<string, string>;
  /** The run's own budget; the pack's default when absent. */
  budgetUsd?: number;
  /** The app's concurrency limit: the run never has more steps running. */
  appConcurrency: number;
  actor: ActorContext;
}

export class PackClient {
  private readonly taskQueue: string;

  constructor(
    private readonly temporal: Client,
    private readonly options: { taskQueue?: string; taskQueueFor?: (appId: string) => string | undefined } = {},
  ) {
    this.taskQueue = options.taskQueue ?? TASK_QUEUES.chat;
  }

  static buildInput(run: StartPackRun): PackRunInput {
    const budgetUsd = run.budgetUsd ?? run.pack.budget_usd;
    const templates = Object.fromEntries([...new Set(run.pack.steps.map((step) => step.template))].map((name) => [name, run.template(name)]));
    return {
      appId: run.appId,
      runId: run.runId,
      userId: run.userId,
      pack: run.pack,
      templates,
      input: run.input,
      ...(budgetUsd !== undefined ? { budgetNanos: Number(usdToNanos(budgetUsd)) } : {}),
      maxParallel: Math.max(1, Math.min(run.pack.max_parallel, run.appConcurrency)),
      actor: run.actor,
    };
  }

  async start(run: StartPackRun): Promise<WorkflowHandle<typeof packRun>> {
    return this.temporal.workflow.start<typeof packRun>('packRun', {
      // Steps are children on the parent's queue: a dedicated plane's run stays on its queue.
      taskQueue: this.options.taskQueueFor?.(run.appId) ?? this.taskQueue,
      workflowId: workflowIds.pack(run.appId, run.runId),
      args: [PackClient.buildInput(run)],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // The steps (child workflows) and their activities inherit it.
      priority: appPriority(run.appId),
      typedSearchAttributes: [
        { key: SA.appId, value: run.appId },
        { key: SA.userId, value: run.userId },
        { key: SA.template, value: run.pack.name },
        { key: SA.kind, value: 'pack' },
      ],
    });
  }

  handle(appId: string, runId: string): WorkflowHandle<typeof packRun> {
    return this.temporal.workflow.getHandle<typeof packRun>(workflowIds.pack(appId, runId));
  }

  async status(appId: string, runId: string): Promise<PackRunStatus> {
    return this.handle(appId, runId).query(packRunStatusQuery);
  }

  async cancel(appId: string, runId: string): Promise<void> {
    await this.handle(appId, runId).cancel();
  }
}
