/**
 * `packStep` (`pack:{app_id}:{run_id}:{step}`): one step of a pack — one chat turn with the step's
 * template, run by the same `runTurn` as a chat (usage, cost, audit, counters, event stream) in a
 * synthetic chat of its own. Its prompt is rendered by an activity from stored outputs, and its
 * output is stored in MongoDB; the parent gets a reference and the usage.
 */
import { ApplicationFailure, CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import { BUDGET_EXHAUSTED, causedBy, ZERO_USAGE } from '../domain/chat';
import { packIds, type PackStepInput, type PackStepResult } from '../domain/packs';
import { bookkeeping } from './chat/activities';
import { runTurn } from './chat/run-turn';
import { packBookkeeping } from './packs/activities';
import { STORE_INVALID_DATA, STORE_INVALID_DATA_CODE } from '../domain/store-failure';
import { innermostMessage } from './packs/errors';

export const PACK_STEP_FAILED = 'pack_step_failed';

export async function packStep(input: PackStepInput): Promise<PackStepResult> {
  const { appId, runId, stepId, userId, template, actor } = input;
  // A retry is a new run of this workflow: its turn gets ids of its own, so nothing collides with
  // what an earlier attempt stored.
  const { attempt } = workflowInfo();
  const chatId = packIds.stepChat(runId, stepId, attempt);
  const turnId = packIds.stepTurn(runId, stepId, attempt);
  const { content } = await packBookkeeping.preparePackStep({
    appId,
    runId,
    stepId,
    prompt: input.prompt,
    input: input.input,
    reads: input.reads,
    attempt,
  });

  let seq = 1;
  const spent = { ...ZERO_USAGE };
  const turn = { appId, chatId, userId, turnId, turnNumber: 1, actor };
  try {
    const reply = await runTurn({ ...turn, template, content, nextSeq: () => seq++, spent, packRunId: runId });
    const saved = await packBookkeeping.savePackStepOutput({ appId, runId, stepId, chatId, messageId: reply.messageId, usage: spent });
    return { stepId, outputRef: saved.outputRef, outputChars: saved.outputChars, usage: { ...spent }, llmCalls: reply.usage.llm_calls };
  } catch (error) {
    const cancelled = isCancellation(error);
    const message = innermostMessage(error, 'the step failed');
    // What the turn spent was spent: its usage events stay, and its end is recorded.
    await CancellationScope.nonCancellable(() =>
      bookkeeping.finishTurn({
        ...turn,
        status: cancelled ? 'cancelled' : 'failed',
        usage: spent,
        nextSeq: seq,
        error: message,
        ...(cancelled ? {} : { errorCode: failureCode(error) }),
      }),
    );
    if (cancelled) throw error;
    // A call the budget refused is refused again on a retry, and so is data the store refused for
    // good: the step fails for good.
    const nonRetryable = causedBy(error, BUDGET_EXHAUSTED) || causedBy(error, STORE_INVALID_DATA);
    throw ApplicationFailure.create({ type: PACK_STEP_FAILED, message, details: [spent], cause: error as Error, nonRetryable });
  }
}

/** The code of a failed step's `turn.failed` event. */
function failureCode(error: unknown): string {
  if (causedBy(error, STORE_INVALID_DATA)) return STORE_INVALID_DATA_CODE;
  if (causedBy(error, BUDGET_EXHAUSTED)) return BUDGET_EXHAUSTED;
  return 'turn_failed';
}
