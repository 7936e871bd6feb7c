/**
 * The budget check around one LLM call: before it, the largest cost the call can have (the price
 * table × an upper bound of the prompt's tokens + `max_tokens` of output) is reserved atomically in
 * Redis against the app's monthly budget — and a pack step's against its run's budget too; after it,
 * the hold is settled to the real cost. So replicas calling at once can never spend past a budget
 * together (`src/stores/budgets.ts`).
 *
 * The prompt bound is its UTF-8 byte count (every token of OpenAI's tokenizers covers at least one
 * byte) plus the per-message framing: never below the real count, so the hold always covers the call.
 * An unpriced model cannot be reserved for; it is let through and recorded as unpriced, as ever.
 */
import { ApplicationFailure } from '@temporalio/common';
import { BUDGET_EXHAUSTED } from '../../domain/chat';
import { computeCost, type PriceBook, type TokenUsage } from '../../domain/pricing';
import { Budgets, budgetScopes, type BudgetScope } from '../../stores/budgets';
import type { Redis } from 'ioredis';

const TOKENS_PER_MESSAGE = 4;
const REPLY_PRIMING_TOKENS = 3;

export interface BudgetedCall {
  appId: string;
  /** A pack step's call also counts toward its run's budget. */
  packRunId?: string;
  /** Unique per attempt of the call (an app-scoped id). */
  reservationId: string;
  model: string;
  prompt: { messages: readonly unknown[]; tools: readonly unknown[] };
  maxOutputTokens: number;
  at: Date;
}

export class BudgetGuard {
  private readonly budgets: Budgets;

  constructor(redis: Redis, private readonly priceBook: PriceBook) {
    this.budgets = new Budgets(redis);
  }

  /** Holds the call's largest cost; throws a non-retryable `budget_exhausted` when it does not fit. */
  async reserve(call: BudgetedCall): Promise<void> {
    const usage = { input_tokens: promptTokenBound(call.prompt), output_tokens: call.maxOutputTokens };
    const expected = this.cost(call.model, usage, call.at);
    const held = await this.budgets.reserve(this.scopes(call), call.reservationId, expected ?? 0);
    if (held.ok) return;
    throw ApplicationFailure.create({
      type: BUDGET_EXHAUSTED,
      nonRetryable: true,
      message: `the ${held.scope} budget cannot cover this call: ${held.spentNanos} spent + ${held.heldNanos} held + ${expected} expected > ${held.limitNanos} nano-dollars`,
      details: [{ scope: held.scope, limit_nanos: held.limitNanos, spent_nanos: held.spentNanos, held_nanos: held.heldNanos, expected_nanos: expected }],
    });
  }

  /** Charges the real cost (0 for a call that failed before any usage) and frees the hold. */
  async settle(call: BudgetedCall, usage: TokenUsage | undefined, model = call.model): Promise<void> {
    const actual = usage ? (this.cost(model, usage, call.at) ?? 0) : 0;
    await this.budgets.settle(this.scopes(call), call.reservationId, actual);
  }

  private scopes(call: BudgetedCall): BudgetScope[] {
    const month = budgetScopes.appMonth(call.appId, call.at);
    return call.packRunId === undefined ? [month] : [month, budgetScopes.packRun(call.appId, call.packRunId)];
  }

  private cost(model: string, usage: TokenUsage, at: Date): number | undefined {
    const result = computeCost(this.priceBook, { model, usage, at });
    return result.priced ? result.cost_nanos.total : undefined;
  }
}

export function promptTokenBound(prompt: BudgetedCall['prompt']): number {
  const bytes = Buffer.byteLength(JSON.stringify(prompt.messages)) + Buffer.byteLength(JSON.stringify(prompt.tools));
  return bytes + prompt.messages.length * TOKENS_PER_MESSAGE + REPLY_PRIMING_TOKENS;
}
