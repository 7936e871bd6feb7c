/**
 * One chat turn, as a business process: store the user's message, let the model answer (running the
 * tools it asks for, up to the template's step limit and token budget), account for every call,
 * and close the turn. Runs inside the cancellation scope its session gives it.
 */
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { ActorContext } from '../../domain/audit';
import {
  endsTurn,
  type BeginTurnArgs,
  messageIds,
  usageAfterCall,
  type LlmStepArgs,
  type LlmStepResult,
  type TemplateSnapshot,
  type TurnReply,
  type UsageTotals,
} from '../../domain/chat';
import { nanosToUsd } from '../../domain/pricing';
import { failedCallUsage } from '../../domain/store-failure';
import { bookkeeping, llm, tools } from './activities';

/** `patched()` id: `llmStep` prices its call and writes the usage itself; histories recorded
 * before it replay with the separate `recordLlmCall` local activity. */
export const LLM_STEP_RECORDS_USAGE_PATCH = 'llm-step-records-usage';
/** `patched()` id: the step whose answer is the turn's last also ends the turn (what `finishTurn`
 * does), so a turn's second workflow task runs no local activity. */
export const LLM_STEP_FINISHES_TURN_PATCH = 'llm-step-finishes-turn';
/** `patched()` id: the turn's first `llmStep` also begins the turn (stores the user's message), so
 * a turn's first workflow task runs no local activity either. */
export const LLM_STEP_BEGINS_TURN_PATCH = 'llm-step-begins-turn';

export interface TurnContext {
  appId: string;
  chatId: string;
  userId: string;
  template: TemplateSnapshot;
  turnId: string;
  turnNumber: number;
  messageId?: string;
  content: string;
  actor: ActorContext;
  /** Hands out the next message seq of the chat (owned by the session, so ids never collide). */
  nextSeq: () => number;
  /** Usage spent so far, visible to the session even if the turn is cancelled half-way. */
  spent: UsageTotals;
  /** The turn's end goes to the app's webhook (passed on to `finishTurn`). */
  notify?: boolean;
  /** A pack step's turn: its LLM calls count toward the run's budget too. */
  packRunId?: string;
}

export async function runTurn(context: TurnContext): Promise<TurnReply> {
  // The session's `next_seq` is raised once, when the turn ends, past the last seq the turn took.
  let lastSeq = 0;
  const turn: TurnContext = {
    ...context,
    nextSeq: () => {
      lastSeq = context.nextSeq();
      return lastSeq;
    },
  };
  const chat = { appId: turn.appId, chatId: turn.chatId };
  const begin: BeginTurnArgs = {
    ...chat,
    userId: turn.userId,
    turnId: turn.turnId,
    turnNumber: turn.turnNumber,
    message: { messageId: messageIds.user(turn.turnId, turn.messageId), seq: turn.nextSeq(), content: turn.content },
    actor: turn.actor,
  };
  const inStep: StepBeginning | undefined = patched(LLM_STEP_BEGINS_TURN_PATCH) ? { args: begin, done: false } : undefined;
  if (!inStep) await bookkeeping.beginTurn(begin);
  try {
    return await answer(turn, inStep, () => lastSeq);
  } catch (error) {
    // A turn cut short before its first step finished (cancelled while the step waited for a
    // worker or streamed, or failed) still has its message stored, windowed, audited and counted
    // in, as when `beginTurn` ran first (idempotent: what the step wrote is not written again).
    // The turn's own error is the one that counts: a failure here does not replace it.
    if (inStep && !inStep.done) await CancellationScope.nonCancellable(() => bookkeeping.beginTurn(begin)).catch(() => undefined);
    throw error;
  }
}

/** A turn that its first step begins: `done` once that step returned (it wrote all of it). */
interface StepBeginning {
  args: BeginTurnArgs;
  done: boolean;
}

/** The model's steps (and the tools it asks for) until one answers: the turn's reply. */
async function answer(turn: TurnContext, inStep: StepBeginning | undefined, lastSeq: () => number): Promise<TurnReply> {
  const chat = { appId: turn.appId, chatId: turn.chatId };
  const { template } = turn;
  let stopReason: TurnReply['stopReason'];
  let llmCalls = 0;
  for (let step = 0; ; step++) {
    const tokensLeft = template.turn_token_budget - (turn.spent.input_tokens + turn.spent.output_tokens);
    const withinBudget = tokensLeft > 0;
    const allowTools = template.tools.length > 0 && step < template.max_tool_steps && withinBudget;
    // Past the first step, a call without tools is the loop being cut short: say why.
    if (!allowTools && step > 0) stopReason = withinBudget ? 'tool_step_limit' : 'token_budget';

    const maxOutputTokens = Math.max(16, Math.min(template.max_output_tokens, tokensLeft));
    const result = await callModel(turn, step, allowTools, maxOutputTokens, step === 0 ? inStep?.args : undefined);
    if (inStep) inStep.done = true;
    llmCalls++;

    if (endsTurn({ allowTools }, result)) {
      // A worker that predates `accounting.finish` leaves the turn's end to this local activity.
      if (!result.finishedTurn) await bookkeeping.finishTurn({
        ...chat,
        userId: turn.userId,
        turnId: turn.turnId,
        turnNumber: turn.turnNumber,
        status: 'completed',
        usage: turn.spent,
        nextSeq: lastSeq() + 1,
        replyMessageId: result.messageId,
        actor: turn.actor,
        ...(turn.notify ? { notify: true } : {}),
      });
      return {
        turnId: turn.turnId,
        status: 'completed',
        messageId: result.messageId,
        message: { role: 'assistant', content: result.content },
        usage: { ...turn.spent, cost_usd: nanosToUsd(turn.spent.cost_nanos), llm_calls: llmCalls },
        steps: step + 1,
        ...(stopReason ? { stopReason } : {}),
      };
    }

    // Tools run one after another: their results are appended to the transcript in call order.
    for (const [index, call] of result.toolCalls.entries()) {
      await tools.runTool({
        ...chat,
        turnId: turn.turnId,
        step,
        index,
        seq: turn.nextSeq(),
        messageId: messageIds.tool(turn.turnId, step, index),
        call,
        allowedTools: template.tools,
      });
    }
  }
}

/** One LLM call with its accounting: a usage event (with cost) for success and for failure. */
async function callModel(
  turn: TurnContext,
  step: number,
  allowTools: boolean,
  maxOutputTokens: number,
  begin: BeginTurnArgs | undefined,
): Promise<LlmStepResult> {
  const chat = { appId: turn.appId, chatId: turn.chatId };
  const record = (result: Pick<LlmStepResult, 'model' | 'usage' | 'latencyMs' | 'ttftMs'>, status: 'ok' | 'error', errorType?: string) =>
    bookkeeping.recordLlmCall({
      ...chat,
      userId: turn.userId,
      turnId: turn.turnId,
      step,
      template: turn.template.name,
      model: result.model,
      usage: result.usage,
      latencyMs: result.latencyMs,
      ttftMs: result.ttftMs,
      status,
      ...(errorType ? { errorType } : {}),
      actor: turn.actor,
    });

  let result: LlmStepResult;
  try {
    result = await llm.llmStep({
      ...chat,
      turnId: turn.turnId,
      step,
      seq: turn.nextSeq(),
      messageId: messageIds.assistant(turn.turnId, step),
      template: turn.template,
      allowTools,
      maxOutputTokens,
      ...(turn.packRunId !== undefined ? { packRunId: turn.packRunId } : {}),
      ...(begin ? { begin } : {}),
      ...(patched(LLM_STEP_RECORDS_USAGE_PATCH) ? { accounting: accounting(turn) } : {}),
    });
  } catch (error) {
    if (!isCancellation(error)) {
      // A step that failed after the model answered (the store refused the answer) says what the
      // call spent: it is recorded and counted in the turn's usage, as the budget already counts it.
      const spentByCall = failedCallUsage(error);
      const failed = spentByCall ?? {
        model: turn.template.model,
        usage: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 },
        latencyMs: 0,
        ttftMs: 0,
      };
      const cost = await record(failed, 'error', errorType(error));
      if (spentByCall) Object.assign(turn.spent, usageAfterCall(turn.spent, spentByCall, cost));
    }
    throw error;
  }
  // A worker that predates `accounting` returns no cost: then the call is recorded here.
  const cost = result.cost ?? (await record(result, 'ok'));
  // The same sum the step made if it ended the turn: the session's totals and the turn's agree.
  Object.assign(turn.spent, usageAfterCall(turn.spent, result, cost));
  return result;
}

function accounting(turn: TurnContext): NonNullable<LlmStepArgs['accounting']> {
  if (!patched(LLM_STEP_FINISHES_TURN_PATCH)) return { userId: turn.userId, actor: turn.actor };
  const finish = { turnNumber: turn.turnNumber, spentBefore: { ...turn.spent }, ...(turn.notify ? { notify: true } : {}) };
  return { userId: turn.userId, actor: turn.actor, finish };
}

function errorType(error: unknown): string {
  let current: unknown = error;
  // ActivityFailure wraps the ApplicationFailure that carries the type.
  while (current && typeof current === 'object') {
    if ('type' in current && typeof current.type === 'string' && current.type) return current.type;
    current = 'cause' in current ? current.cause : undefined;
  }
  return 'unknown';
}
