/**
 * `packRun` (`pack:{app_id}:{run_id}`): runs a pack's DAG. A step starts as a `packStep` child as
 * soon as every step it depends on has completed, at most `maxParallel` at a time (the pack's
 * limit lowered to the app's). `fail_fast` stops starting steps and cancels the running ones at the
 * first failure; `continue` keeps running what does not depend on it. Cost rolls up from each
 * step; once the run's budget is spent no new step starts and the run ends `budget_exhausted`.
 * Cancelling the run cancels its running children and records every unfinished step. The history
 * holds step ids, statuses, usage and output references — never an output.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  condition,
  executeChild,
  isCancellation,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { addUsage, BUDGET_EXHAUSTED, causedBy, ZERO_USAGE, type UsageTotals } from '../domain/chat';
import {
  finalSteps,
  packIds,
  stepReferences,
  type PackRunInput,
  type PackRunResult,
  type PackRunStatus,
  type PackStep,
  type StepState,
} from '../domain/packs';
import { packRunStatusQuery, SA, workflowIds } from './contract';
import { packStep } from './pack-step';
import { packBookkeeping } from './packs/activities';
import { innermostMessage } from './packs/errors';
import { webhookDelivery } from './webhook-delivery';

/** `patched()` id: a step refused by the budget ends the run `budget_exhausted` (before: `failed`). */
export const BUDGET_REFUSAL_PATCH = 'pack-step-budget-refusal';

export async function packRun(input: PackRunInput): Promise<PackRunResult> {
  const { appId, runId, pack, userId, actor } = input;
  ensureSearchAttributes(input);
  const steps: Record<string, StepState> = Object.fromEntries(pack.steps.map((step) => [step.id, { status: 'pending' }]));
  const status: PackRunStatus = {
    appId,
    runId,
    pack: pack.name,
    status: 'running',
    steps,
    totals: { ...ZERO_USAGE },
    ...(input.budgetNanos !== undefined ? { budgetNanos: input.budgetNanos } : {}),
  };
  setHandler(packRunStatusQuery, () => status);
  const finals = finalSteps(pack.steps);
  await packBookkeeping.recordPackRun({ status, userId, finalSteps: finals, ended: false });

  const running = new Map<string, CancellationScope>();
  let changed = false;
  let failed = false;
  let budgetSpent = false;
  let cancelled: unknown;
  const stopStarting = () => budgetSpent || (failed && pack.on_failure === 'fail_fast');

  const start = (step: PackStep) => {
    steps[step.id] = { status: 'running' };
    const scope = new CancellationScope();
    running.set(step.id, scope);
    const finished = (state: StepState) => {
      steps[step.id] = state;
      running.delete(step.id);
      changed = true;
    };
    void scope
      .run(() =>
        executeChild(packStep, {
          workflowId: workflowIds.packStep(appId, runId, step.id),
          args: [
            {
              appId,
              runId,
              userId,
              stepId: step.id,
              template: input.templates[step.template]!,
              prompt: step.prompt,
              input: input.input,
              reads: stepReferences(step.prompt),
              actor,
            },
          ],
          retry: { maximumAttempts: step.retries + 1, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
          workflowRunTimeout: `${step.timeout_seconds} seconds`,
          typedSearchAttributes: [
            { key: SA.appId, value: appId },
            { key: SA.userId, value: userId },
            { key: SA.template, value: step.template },
            { key: SA.kind, value: 'pack_step' },
          ],
        }),
      )
      .then(
        (result) => {
          status.totals = addUsage(status.totals, result.usage);
          finished({ status: 'completed', usage: result.usage, outputRef: result.outputRef, outputChars: result.outputChars });
          if (input.budgetNanos !== undefined && status.totals.cost_nanos >= input.budgetNanos) budgetSpent = true;
        },
        (error: unknown) => {
          const usage = spentBy(error);
          status.totals = addUsage(status.totals, usage);
          if (isCancellation(error) || isCancellation((error as Error).cause)) {
            finished({ status: 'cancelled', usage });
            return;
          }
          finished({ status: 'failed', usage, error: innermostMessage(error, 'the step failed') });
          // A step whose LLM call the run's (or the app's) budget could not cover: the budget is
          // spent, not the pack broken — no new step starts and the run ends budget_exhausted.
          if (causedBy(error, BUDGET_EXHAUSTED) && patched(BUDGET_REFUSAL_PATCH)) budgetSpent = true;
          else failed = true;
        },
      );
  };

  try {
    for (;;) {
      if (pack.on_failure === 'continue') skipUnreachable(pack.steps, steps);
      if (failed && pack.on_failure === 'fail_fast') for (const scope of running.values()) scope.cancel();
      if (!stopStarting()) {
        for (const step of pack.steps) {
          if (running.size >= input.maxParallel) break;
          if (steps[step.id]!.status === 'pending' && step.depends_on.every((dep) => steps[dep]!.status === 'completed')) start(step);
        }
      }
      if (running.size === 0) break;
      await condition(() => changed);
      changed = false;
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    cancelled = error;
    // The children were cancelled with the run; wait until each has said how it ended.
    await CancellationScope.nonCancellable(() => condition(() => running.size === 0));
  }

  for (const [id, state] of Object.entries(steps)) {
    if (state.status === 'pending') steps[id] = { status: cancelled !== undefined ? 'cancelled' : 'skipped' };
  }
  status.status = cancelled !== undefined ? 'cancelled' : failed ? 'failed' : budgetSpent && finals.some((id) => steps[id]!.status !== 'completed') ? 'budget_exhausted' : 'completed';

  await CancellationScope.nonCancellable(async () => {
    const { webhook } = await packBookkeeping.recordPackRun({ status, userId, finalSteps: finals, ended: true });
    if (!webhook) return;
    const webhookId = packIds.webhook(appId, 'pack_run', runId);
    await startChild(webhookDelivery, {
      workflowId: workflowIds.webhook(appId, webhookId),
      args: [{ appId, webhookId, eventType: 'pack_run.completed', data: { run_id: runId, pack: pack.name, status: status.status, steps, totals: status.totals } }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: SA.appId, value: appId },
        { key: SA.kind, value: 'webhook' },
      ],
    });
  });
  // Rethrown as is, so the run ends Cancelled (not Failed) in Temporal too.
  if (cancelled !== undefined) throw cancelled;
  return status;
}

/** Under `continue`, a pending step whose dependency did not complete can never run. */
function skipUnreachable(packSteps: readonly PackStep[], steps: Record<string, StepState>): void {
  let again = true;
  while (again) {
    again = false;
    for (const step of packSteps) {
      const blocked = step.depends_on.some((dep) => ['failed', 'cancelled', 'skipped'].includes(steps[dep]!.status));
      if (steps[step.id]!.status === 'pending' && blocked) {
        steps[step.id] = { status: 'skipped' };
        again = true;
      }
    }
  }
}

/** A failed step reports what it spent in its failure's details. */
function spentBy(error: unknown): UsageTotals {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && Array.isArray(current.details) && isUsage(current.details[0])) return current.details[0];
    current = current instanceof ChildWorkflowFailure || current.cause ? current.cause : undefined;
  }
  return { ...ZERO_USAGE };
}

function isUsage(value: unknown): value is UsageTotals {
  return typeof value === 'object' && value !== null && 'cost_nanos' in value && 'input_tokens' in value;
}

function ensureSearchAttributes(input: PackRunInput): void {
  if (workflowInfo().typedSearchAttributes.get(SA.appId) !== undefined) return;
  upsertSearchAttributes([
    { key: SA.appId, value: input.appId },
    { key: SA.userId, value: input.userId },
    { key: SA.template, value: input.pack.name },
    { key: SA.kind, value: 'pack' },
  ]);
}
