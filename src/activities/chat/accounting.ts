/**
 * The cost side of an LLM call: price it, write its usage event, audit it, count it. Keyed by
 * the call's event id, so a retry charges nothing twice; the stored event is the source of truth
 * for a retry (its cost stands even if the price table changed in between).
 */
import { endsTurn, eventIds, usageAfterCall, type LlmStepArgs, type LlmStepResult, type RecordLlmCallArgs, type RecordedCost } from '../../domain/chat';
import { computeCost } from '../../domain/pricing';
import { activeTraceId } from '../../telemetry/active-trace';
import type { AuditEntry, ChatActivityContext } from './context';
import { beginTurn, finishTurn, type BegunTurn } from './turn';

export function accountingActivities(ctx: ChatActivityContext) {
  return {
    recordLlmCall: (args: RecordLlmCallArgs) => recordLlmUsage(ctx, args),
  };
}

/** `llmStep` that, when its args carry `accounting`, records the call it made (or had made on an
 * earlier attempt) before returning: the same event id as `recordLlmCall`, so either one, or a
 * retry of either, charges the call once. With `accounting.finish`, a step whose answer is the
 * turn's last also ends the turn (`finishTurn`, idempotent too). */
export function accountingLlmStep(
  ctx: ChatActivityContext,
  llmStep: (args: LlmStepArgs, beginning?: Promise<BegunTurn>) => Promise<LlmStepResult>,
) {
  return async (args: LlmStepArgs): Promise<LlmStepResult> => {
    // The turn's first step begins it, side by side with reading the transcript (the model sees the
    // user's message, which the step adds to what it read; it is called once the message is
    // stored). With accounting, the message's window copy goes with the answer's and its audit
    // entry with the call's: one window update and one audit write for both. Idempotent: a retry
    // finds it all written, and a turn whose step never got here is begun by the workflow.
    const beginning = args.begin ? beginTurn(ctx, args.begin, { deferred: args.accounting !== undefined }) : undefined;
    let result: LlmStepResult;
    try {
      result = await llmStep(args, beginning);
    } finally {
      // A step that failed early leaves no write of its beginning running behind it.
      await beginning?.catch(() => undefined);
    }
    const begun = await beginning;
    if (!args.accounting) return result;
    const cost = await recordLlmUsage(ctx, {
      appId: args.appId,
      chatId: args.chatId,
      userId: args.accounting.userId,
      turnId: args.turnId,
      step: args.step,
      template: args.template.name,
      model: result.model,
      usage: result.usage,
      latencyMs: result.latencyMs,
      ttftMs: result.ttftMs,
      status: 'ok',
      actor: args.accounting.actor,
    }, begun ? [begun.audit] : []);
    const { finish } = args.accounting;
    if (!finish || !endsTurn(args, result)) return { ...result, cost };
    await finishTurn(ctx, {
      appId: args.appId,
      chatId: args.chatId,
      userId: args.accounting.userId,
      turnId: args.turnId,
      turnNumber: finish.turnNumber,
      status: 'completed',
      usage: usageAfterCall(finish.spentBefore, result, cost),
      nextSeq: args.seq + 1,
      replyMessageId: result.messageId,
      actor: args.accounting.actor,
      ...(finish.notify ? { notify: true } : {}),
    });
    return { ...result, cost, finishedTurn: true };
  };
}

/** `alsoAudit`: entries to append with the call's (same write; see `accountingLlmStep`). */
async function recordLlmUsage(ctx: ChatActivityContext, args: RecordLlmCallArgs, alsoAudit: readonly AuditEntry[] = []): Promise<RecordedCost> {
  const { usage: usageRepo } = ctx.repos(args.appId);
  const eventId = eventIds.llmCall(args.appId, args.chatId, args.turnId, args.step);
  const ts = ctx.now();
  const traceId = activeTraceId();
  const cost = computeCost(ctx.deps.priceBook, {
    model: args.model,
    at: ts,
    usage: {
      input_tokens: args.usage.input_tokens,
      output_tokens: args.usage.output_tokens,
      cached_input_tokens: args.usage.cached_input_tokens,
    },
  });
  const { event } = await usageRepo.insert({
    event_id: eventId,
    chat_id: args.chatId,
    user_id: args.userId,
    turn_id: args.turnId,
    step: args.step,
    template: args.template,
    provider: cost.priced ? cost.provider : 'unknown',
    model: args.model,
    input_tokens: args.usage.input_tokens,
    cached_input_tokens: args.usage.cached_input_tokens,
    output_tokens: args.usage.output_tokens,
    // Unpriced is recorded as such (priced: false), never passed off as free.
    cost_nanos: cost.priced ? cost.cost_nanos.total : 0,
    priced: cost.priced,
    price_table_version: cost.price_table_version,
    latency_ms: args.latencyMs,
    ttft_ms: args.ttftMs,
    status: args.status,
    ...(args.errorType !== undefined ? { error_type: args.errorType } : {}),
    ...(traceId ? { trace_id: traceId } : {}),
    ts,
  });

  await Promise.all([
    ...alsoAudit.map((entry) => ctx.audit(args, entry)),
    ctx.audit(args, {
      eventId: eventIds.audit('llm_interaction', eventId),
      actor: args.actor,
      action: 'llm_interaction',
      resource: { type: 'llm_call', id: eventId },
      at: event.ts,
      details: {
        chat_id: event.chat_id,
        turn_id: event.turn_id,
        model: event.model,
        input_tokens: event.input_tokens,
        cached_input_tokens: event.cached_input_tokens,
        output_tokens: event.output_tokens,
        cost_nanos: event.cost_nanos,
        priced: event.priced,
        status: event.status,
      },
    }),
    ctx.counters.increment(
      args.appId,
      {
        llm_calls: 1,
        input_tokens: event.input_tokens,
        output_tokens: event.output_tokens,
        cost_nanos: event.cost_nanos,
        unpriced_calls: event.priced ? 0 : 1,
        // A failed call is in `llm_calls` (and its usage event says `error`); the app's `errors`
        // count failed turns (finishTurn), so one failed turn is one error, never two.
      },
      { dedupId: eventId, at: event.ts },
    ),
  ]);
  return { priced: event.priced, costNanos: event.cost_nanos, priceTableVersion: event.price_table_version };
}
