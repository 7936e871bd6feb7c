/**
 * Arguments and results of the chat activities: the contract between the `chatSession` workflow
 * and its activities. Ids and counters only, plus the user's message going in and the reply and
 * tool calls coming out; transcripts are read from MongoDB inside the activities.
 */
import type { ActorContext } from '../audit';
import type { ChatTemplate } from '../templates';
import { addUsage, type TurnStatus, type UsageTotals } from './types';

export interface ChatRef {
  appId: string;
  chatId: string;
}

export interface OpenSessionArgs extends ChatRef {
  userId: string;
  template: string;
  actor: ActorContext;
}

export interface SessionSnapshot {
  status: 'active' | 'closed';
  closedReason?: string;
  nextSeq: number;
  turnCount: number;
  totals: UsageTotals;
}

export interface BeginTurnArgs extends ChatRef {
  userId: string;
  turnId: string;
  turnNumber: number;
  message: { messageId: string; seq: number; content: string };
  actor: ActorContext;
}

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text exactly as the model produced it. */
  arguments: string;
}

export interface LlmStepArgs extends ChatRef {
  turnId: string;
  step: number;
  /** Seq and id of the assistant message this step writes. */
  seq: number;
  messageId: string;
  template: Pick<ChatTemplate, 'name' | 'model' | 'system_prompt' | 'temperature' | 'max_output_tokens' | 'tools'>;
  /** false on the last allowed step: the model must answer without tools. */
  allowTools: boolean;
  maxOutputTokens: number;
  /** A pack step's run: the call is reserved against the run's budget too. */
  packRunId?: string;
  /** When given, the step also prices its call and writes the usage, as `recordLlmCall` would (one
   * local activity less per call); the result then carries the `cost`. */
  accounting?: { userId: string; actor: ActorContext; finish?: TurnEnding };
  /** The turn's first step also begins the turn (stores the user's message first, as the
   * `beginTurn` local activity would: one local activity and one workflow activation less per turn). */
  begin?: BeginTurnArgs;
}

/** What a step needs to end its turn itself when its answer is the turn's last (as `finishTurn`
 * would, one local activity less per turn); the result then says `finishedTurn`. */
export interface TurnEnding {
  turnNumber: number;
  /** The turn's usage before this call. */
  spentBefore: UsageTotals;
  notify?: boolean;
}

/** Whether a step's answer ends its turn: no tools were allowed, or the model asked for none. */
export function endsTurn(args: Pick<LlmStepArgs, 'allowTools'>, result: Pick<LlmStepResult, 'toolCalls'>): boolean {
  return !args.allowTools || result.toolCalls.length === 0;
}

/** A turn's usage after one more priced call. */
export function usageAfterCall(before: UsageTotals, result: Pick<LlmStepResult, 'usage'>, cost: RecordedCost): UsageTotals {
  return addUsage(before, {
    input_tokens: result.usage.input_tokens,
    cached_input_tokens: result.usage.cached_input_tokens,
    output_tokens: result.usage.output_tokens,
    cost_nanos: cost.costNanos,
    unpriced_calls: cost.priced ? 0 : 1,
  });
}

export interface LlmStepResult {
  messageId: string;
  /** The assistant's text; empty when the step only asked for tools. */
  content: string;
  toolCalls: ToolCall[];
  finishReason: string;
  model: string;
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  latencyMs: number;
  ttftMs: number;
  attempt: number;
  /** True when an earlier attempt had already stored this step (nothing was called again). */
  replayed: boolean;
  /** The recorded cost, when the step was asked to account for its call. */
  cost?: RecordedCost;
  /** The step ended its turn (it was given `accounting.finish` and its answer was the last). */
  finishedTurn?: boolean;
}

export interface RunToolArgs extends ChatRef {
  turnId: string;
  step: number;
  index: number;
  seq: number;
  messageId: string;
  call: ToolCall;
  allowedTools: string[];
}

export interface RunToolResult {
  ok: boolean;
  /** Short preview of the result (or the error) for the workflow's bookkeeping. */
  preview: string;
}

export interface RecordLlmCallArgs extends ChatRef {
  userId: string;
  turnId: string;
  step: number;
  template: string;
  model: string;
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  latencyMs: number;
  ttftMs: number;
  status: 'ok' | 'error';
  errorType?: string;
  actor: ActorContext;
}

export interface RecordedCost {
  priced: boolean;
  costNanos: number;
  priceTableVersion: string;
}

export interface FinishTurnArgs extends ChatRef {
  userId: string;
  turnId: string;
  turnNumber: number;
  status: Exclude<TurnStatus, 'queued' | 'running'>;
  usage: UsageTotals;
  /** The chat's next free message seq after this turn: raises the session's `next_seq`. Absent
   * in turns recorded before it was passed (their `beginTurn` raised it). */
  nextSeq?: number;
  replyMessageId?: string;
  error?: string;
  /** A failed turn's code, in its `turn.failed` event (e.g. `store_invalid_data`, `turn_failed`). */
  errorCode?: string;
  actor: ActorContext;
  /** Start the signed `chat_turn.completed` webhook when the app has one (see turn-webhook.ts). */
  notify?: boolean;
}

export interface DiscardTurnArgs extends ChatRef {
  turnId: string;
  mode: 'interrupted' | 'rolled_back';
  actor: ActorContext;
}

export interface CloseSessionArgs extends ChatRef {
  reason: 'requested' | 'inactivity';
  actor: ActorContext;
}
