/**
 * The shapes a chat session exchanges with its callers and activities. Message text travels only
 * where the contract needs it (the user's message in, the final reply out); the transcript itself
 * stays in MongoDB and is read by activities.
 */
import type { ActorContext } from '../audit';
import type { ChatTemplate, OnBusyMode } from '../templates';

export type { OnBusyMode };

/** What a session needs to know about its template, fixed when the run starts. */
export type TemplateSnapshot = ChatTemplate;

export interface ChatSessionInput {
  appId: string;
  chatId: string;
  userId: string;
  template: TemplateSnapshot;
  /** Present after continue-as-new (or when resumed from the session document). */
  carried?: CarriedState;
  /** Continue-as-new after this many turns in one run (default 100); tests lower it. */
  turnsPerRun?: number;
}

export interface UsageTotals {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  unpriced_calls: number;
}

export interface TurnSummary {
  turnId: string;
  status: TurnStatus;
  user_preview: string;
  reply_preview: string;
  usage: UsageTotals;
}

/** State a run hands to the next one through continue-as-new: counters and ids, never text
 * beyond short previews of the last few turns for the `transcript` query. */
export interface CarriedState {
  nextSeq: number;
  turnCount: number;
  totals: UsageTotals;
  recentTurns: TurnSummary[];
  runsSoFar: number;
}

export interface SendMessageArgs {
  turnId: string;
  /** Client-chosen id of the user message; the turn id when absent. */
  messageId?: string;
  content: string;
  onBusy?: OnBusyMode;
  /** When given, must be the session's template (a mismatch is rejected). */
  template?: string;
  actor: ActorContext;
  /** Tell the app's webhook when the turn ends (`?wait=false`: nobody waits for the reply). */
  notify?: boolean;
}

export type TurnStatus = 'queued' | 'running' | 'completed' | 'interrupted' | 'rolled_back' | 'failed' | 'cancelled';

export interface TurnReply {
  turnId: string;
  status: 'completed';
  messageId: string;
  message: { role: 'assistant'; content: string };
  usage: TurnUsage;
  steps: number;
  /** Why the tool loop ended early, when it did. */
  stopReason?: 'tool_step_limit' | 'token_budget';
}

export interface TurnUsage extends UsageTotals {
  cost_usd: number;
  llm_calls: number;
}

export interface ChatStatus {
  appId: string;
  chatId: string;
  template: string;
  state: 'active' | 'closing' | 'closed';
  busy: boolean;
  runningTurnId?: string;
  queuedTurns: number;
  turnCount: number;
  totals: UsageTotals;
  runsSoFar: number;
  turnsThisRun: number;
}

export const ZERO_USAGE: UsageTotals = {
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  cost_nanos: 0,
  unpriced_calls: 0,
};

export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cost_nanos: a.cost_nanos + b.cost_nanos,
    unpriced_calls: a.unpriced_calls + b.unpriced_calls,
  };
}
