/** The bookkeeping at both ends of a turn: its user message going in, its outcome going out. */
import { eventIds, type BeginTurnArgs, type DiscardTurnArgs, type FinishTurnArgs } from '../../domain/chat';
import { nanosToUsd } from '../../domain/pricing';
import type { ChatMessageDoc } from '../../stores/documents';
import { isDeterministicStoreError } from '../../stores/mongo-errors';
import { turnKeys, type AuditEntry, type ChatActivityContext } from './context';
import { notifyTurnEnded } from './turn-webhook';

export function turnActivities(ctx: ChatActivityContext) {
  return {
    /** Stores the user's message and announces the turn (see `beginTurn` below). */
    beginTurn: async (args: BeginTurnArgs): Promise<void> => {
      await beginTurn(ctx, args);
    },

    /** Counts the turn into the session's totals (once, by turn number) and announces its end (and
     * to the app's webhook, when the turn asked for it). */
    finishTurn: (args: FinishTurnArgs) => finishTurn(ctx, args),

    /** A cancelled turn: `interrupted` keeps its messages (marked), `rolled_back` deletes them. */
    async discardTurn(args: DiscardTurnArgs): Promise<void> {
      const { chats } = ctx.repos(args.appId);
      const now = ctx.now();
      if (args.mode === 'interrupted') {
        await chats.setTurnStatus(args.chatId, args.turnId, 'interrupted');
      } else {
        const deleted = await chats.deleteTurnMessages(args.chatId, args.turnId);
        await ctx.audit(args, {
          eventId: eventIds.audit('delete', 'chat_turn', args.appId, args.chatId, args.turnId),
          actor: args.actor,
          action: 'delete',
          resource: { type: 'chat_turn', id: args.turnId },
          at: now,
          details: { chat_id: args.chatId, messages_deleted: deleted },
        });
      }
      await ctx.events.publishOnce(args, turnKeys.endedEvent(args.turnId), {
        type: 'turn.failed',
        turn_id: args.turnId,
        data: { status: args.mode },
      });
      // Same dedup id as finishTurn: the run is counted out exactly once, whoever comes first.
      await Promise.all([
        ctx.counters.increment(args.appId, { active_runs: -1 }, { dedupId: turnKeys.endedCount(args, args.turnId), at: now }),
        ctx.admission.release(args.appId, args.turnId),
      ]);
    },
  };
}

/** What `beginTurn` left for the turn's first step to write with its own message and audit entry. */
export interface BegunTurn {
  message: ChatMessageDoc;
  audit: AuditEntry;
}

/** The start of a turn: the user's message stored, the turn announced and counted in, its audit
 * entry written. Idempotent on the message id and the turn's dedup keys. Run by the `beginTurn`
 * local activity, or by the turn's first `llmStep` (one local activity less per turn), which
 * passes `deferred`: the message's window copy and audit entry are then written with the step's
 * own (one window update and one audit write for both; see `accountingLlmStep`). (The session's
 * `next_seq` is raised when the turn ends, one write per turn; a session reopened in between also
 * counts the stored messages, see `openSession`.) */
export async function beginTurn(ctx: ChatActivityContext, args: BeginTurnArgs, options: { deferred?: boolean } = {}): Promise<BegunTurn> {
  const now = ctx.now();
  const message = await ctx
    .storeMessage(
      args.appId,
      {
        chat_id: args.chatId,
        message_id: args.message.messageId,
        seq: args.message.seq,
        role: 'user',
        content: args.message.content,
        turn_id: args.turnId,
        status: 'complete',
        created_at: now,
      },
      options.deferred ? { window: false } : {},
    )
    .catch(async (error: unknown) => {
      // A message the store refuses for good is not kept (the session counts the turn as failed),
      // but the turn did run: the app counts it in as any turn (same dedup id, once), so its end
      // counts it out of `active_runs` and its failure in `errors` against a turn.
      if (isDeterministicStoreError(error)) {
        await ctx.counters.increment(args.appId, { turns: 1, active_runs: 1 }, { dedupId: turnKeys.startedCount(args, args.turnId), at: now });
      }
      throw error;
    });
  const audit: AuditEntry = {
    eventId: eventIds.audit('create', 'chat_message', args.appId, args.chatId, message.message_id),
    actor: args.actor,
    action: 'create',
    resource: { type: 'chat_message', id: message.message_id },
    at: message.created_at,
    details: { chat_id: args.chatId, turn_id: args.turnId, role: 'user', seq: message.seq },
  };
  // Independent writes, each idempotent on its own id: run them side by side.
  await Promise.all([
    ctx.events.publishOnce(args, turnKeys.startedEvent(args.turnId), {
      type: 'turn.started',
      turn_id: args.turnId,
      data: { turn_number: args.turnNumber, message_id: message.message_id, content: message.content },
    }),
    ctx.counters.increment(args.appId, { turns: 1, active_runs: 1 }, { dedupId: turnKeys.startedCount(args, args.turnId), at: now }),
    ...(options.deferred ? [] : [ctx.audit(args, audit)]),
  ]);
  return { message, audit };
}

/** The end of a turn: counted into the session's totals (once, by turn number, raising `next_seq`
 * in the same write), counted out of the app's active runs, its admission slot given back, and
 * announced once (and to the app's webhook, when the turn asked for it). Idempotent. */
export async function finishTurn(ctx: ChatActivityContext, args: FinishTurnArgs): Promise<void> {
  const { chats } = ctx.repos(args.appId);
  const now = ctx.now();
  const failed = args.status === 'failed';
  await Promise.all([
    // What a failed turn stored stays in the transcript, marked as the failed turn's.
    ...(failed ? [chats.setTurnStatus(args.chatId, args.turnId, 'failed')] : []),
    chats.recordFinishedTurn(args.chatId, {
      turnNumber: args.turnNumber,
      turnId: args.turnId,
      usage: args.usage,
      now,
      ...(args.nextSeq !== undefined ? { nextSeq: args.nextSeq } : {}),
      // Nothing counted that was not kept: a failed turn is a failed turn, a rolled-back one is gone.
      counted: failed ? 'failed' : args.status === 'rolled_back' ? 'none' : 'turn',
    }),
    ctx.counters.increment(
      args.appId,
      { active_runs: -1, ...(failed ? { errors: 1 } : {}) },
      { dedupId: turnKeys.endedCount(args, args.turnId), at: now },
    ),
    ctx.admission.release(args.appId, args.turnId),
  ]);
  await ctx.events.publishOnce(
    args,
    turnKeys.endedEvent(args.turnId),
    args.status === 'completed'
      ? {
          type: 'turn.completed',
          turn_id: args.turnId,
          data: { usage: args.usage, cost_usd: nanosToUsd(args.usage.cost_nanos), message_id: args.replyMessageId ?? null },
        }
      : {
          type: 'turn.failed',
          turn_id: args.turnId,
          data: { status: args.status, error: args.error ?? null, ...(args.errorCode ? { code: args.errorCode } : {}) },
        },
  );
  await notifyTurnEnded(ctx.deps, args);
}
