/**
 * `chatSession` — one workflow per chat (`chat:{app_id}:{chat_id}`).
 *
 * User turns arrive as `sendMessage` Updates and run one at a time in arrival order (or per
 * `on_busy`). The session idles on a durable timer and closes after the template's inactivity
 * timeout, and continues as new every few turns so its history stays small. Message text never
 * lives in history beyond the Update that carries it in, the first step's input that stores it
 * (the activity needs the text; the transcript itself is read from MongoDB) and the reply that
 * carries it out.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  addUsage,
  BUDGET_EXHAUSTED,
  causedBy,
  checkSendMessage,
  MessageRejection,
  ZERO_USAGE,
  type CarriedState,
  type ChatSessionInput,
  type ChatStatus,
  type SendMessageArgs,
  type TurnSummary,
  type UsageTotals,
} from '../domain/chat';
import type { ActorContext } from '../domain/audit';
import { STORE_INVALID_DATA, STORE_INVALID_DATA_CODE } from '../domain/store-failure';
import { bookkeeping } from './chat/activities';
import { IDLE_CLOCK_PATCH, IdleClock } from './chat/idle-clock';
import { runTurn } from './chat/run-turn';
import { TurnQueue, type QueuedTurn } from './chat/turn-queue';
import {
  cancelTurnSignal,
  closeSignal,
  SA,
  sendMessageUpdate,
  statusQuery,
  transcriptQuery,
  TURN_FAILURE_TYPES,
} from './contract';

const DEFAULT_TURNS_PER_RUN = 100;
const RECENT_TURNS_KEPT = 10;
const KNOWN_TURN_IDS_KEPT = 500;
const PREVIEW_CHARS = 200;

export interface ChatSessionResult {
  closedReason: 'requested' | 'inactivity';
  turnCount: number;
  totals: UsageTotals;
}

export async function chatSession(input: ChatSessionInput): Promise<ChatSessionResult> {
  const { appId, chatId, userId, template } = input;
  const chat = { appId, chatId };
  const systemActor: ActorContext = { actor_id: 'system:chat-session', roles: ['system'], app_id: appId };
  const state: CarriedState = input.carried ?? {
    nextSeq: 1,
    turnCount: 0,
    totals: { ...ZERO_USAGE },
    recentTurns: [],
    runsSoFar: 0,
  };
  const turnsPerRun = input.turnsPerRun ?? DEFAULT_TURNS_PER_RUN;
  const queue = new TurnQueue();
  const knownTurnIds = new Set<string>(state.recentTurns.map((turn) => turn.turnId));
  let closing: 'requested' | 'inactivity' | undefined;
  let turnsThisRun = 0;
  let ready = false;

  ensureSearchAttributes(input);

  setHandler(
    sendMessageUpdate,
    async (args) => {
      remember(knownTurnIds, args.turnId);
      const turn = queue.add(args, args.onBusy ?? template.on_busy);
      await condition(() => isSettled(turn));
      if (turn.status === 'completed' && turn.reply) return turn.reply;
      throw ApplicationFailure.create({
        type: failureType(turn),
        message: turn.error ?? `turn ${args.turnId} ended ${turn.status}`,
        nonRetryable: true,
      });
    },
    {
      validator: (args: SendMessageArgs) => {
        try {
          checkSendMessage(args, { closing: closing !== undefined, busy: queue.busy, template, knownTurnIds });
        } catch (error) {
          if (error instanceof MessageRejection) {
            throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true });
          }
          throw error;
        }
      },
    },
  );
  setHandler(cancelTurnSignal, ({ turnId }) => {
    queue.cancelRunning('cancelled', turnId);
  });
  setHandler(closeSignal, () => {
    closing ??= 'requested';
  });
  setHandler(statusQuery, (): ChatStatus => ({
    appId,
    chatId,
    template: template.name,
    state: !ready || closing === undefined ? 'active' : 'closing',
    busy: queue.busy,
    ...(queue.running ? { runningTurnId: queue.running.args.turnId } : {}),
    queuedTurns: queue.size,
    turnCount: state.turnCount,
    totals: state.totals,
    runsSoFar: state.runsSoFar,
    turnsThisRun,
  }));
  setHandler(transcriptQuery, () => state.recentTurns);

  if (!input.carried) {
    // First run of this chat, or a chat resumed after an inactivity close: the session document
    // knows where the transcript stands.
    const snapshot = await bookkeeping.openSession({ ...chat, userId, template: template.name, actor: systemActor });
    Object.assign(state, { nextSeq: snapshot.nextSeq, turnCount: snapshot.turnCount, totals: snapshot.totals });
    if (snapshot.status === 'closed') closing = 'requested';
  }
  ready = true;
  const inactivityMs = template.inactivity_timeout_seconds * 1000;
  const idle = patched(IDLE_CLOCK_PATCH) ? new IdleClock(inactivityMs, () => !queue.busy && queue.size === 0) : undefined;

  for (;;) {
    const turn = closing === 'requested' ? undefined : queue.next();
    if (turn) {
      await runQueuedTurn(turn);
      turnsThisRun++;
      continue;
    }
    if (closing) break;
    if (turnsThisRun >= turnsPerRun || workflowInfo().continueAsNewSuggested) {
      // Let every Update handler deliver its reply first; a message arriving meanwhile runs here.
      await condition(() => (allHandlersFinished() && queue.size === 0) || queue.size > 0);
      if (queue.size > 0) continue;
      await continueAsNew<typeof chatSession>({
        ...input,
        carried: { ...state, runsSoFar: state.runsSoFar + 1 },
      });
    }
    if (idle) {
      idle.idleFromNow();
      await condition(() => queue.size > 0 || closing !== undefined || idle.expired);
      if (idle.expired && queue.size === 0) closing ??= 'inactivity';
      continue;
    }
    const woke = await condition(() => queue.size > 0 || closing !== undefined, inactivityMs);
    if (!woke) closing = 'inactivity';
  }

  // Closing: messages still waiting are refused, then the session is marked closed.
  queue.drain('cancelled', 'the chat session closed before this message ran');
  await bookkeeping.closeSession({ ...chat, reason: closing, actor: systemActor });
  await condition(allHandlersFinished);
  return { closedReason: closing, turnCount: state.turnCount, totals: state.totals };

  async function runQueuedTurn(turn: QueuedTurn): Promise<void> {
    const { args } = turn;
    const spent: UsageTotals = { ...ZERO_USAGE };
    const turnNumber = ++state.turnCount;
    const scope = turn.scope ?? new CancellationScope();
    try {
      turn.reply = await scope.run(() =>
        runTurn({
          ...chat,
          userId,
          template,
          turnId: args.turnId,
          turnNumber,
          ...(args.messageId ? { messageId: args.messageId } : {}),
          content: args.content,
          actor: args.actor,
          nextSeq: () => state.nextSeq++,
          spent,
          ...(args.notify ? { notify: true } : {}),
        }),
      );
      queue.finish(turn, 'completed');
    } catch (error) {
      const mode = isCancellation(error) ? turn.cancelMode : undefined;
      turn.error = mode ? `turn ${args.turnId} was ${mode.replace('_', ' ')}` : describe(error);
      // A call the budget could not cover is refused as admission refuses a spent budget (402).
      if (!mode && causedBy(error, BUDGET_EXHAUSTED)) turn.failureType = BUDGET_EXHAUSTED;
      // A store that refused the turn's data for good (not retried): its own code, not an upstream failure.
      if (!mode && causedBy(error, STORE_INVALID_DATA)) turn.failureType = STORE_INVALID_DATA_CODE;
      await CancellationScope.nonCancellable(async () => {
        if (mode) {
          await bookkeeping.discardTurn({
            ...chat,
            turnId: args.turnId,
            mode: mode === 'rolled_back' ? 'rolled_back' : 'interrupted',
            actor: args.actor,
          });
        }
        // What a cut-short turn spent was really spent: it still counts in the session's totals.
        await bookkeeping.finishTurn({
          ...chat,
          userId,
          turnId: args.turnId,
          turnNumber,
          status: mode ?? 'failed',
          usage: spent,
          nextSeq: state.nextSeq,
          error: turn.error,
          ...(mode ? {} : { errorCode: turn.failureType ?? TURN_FAILURE_TYPES.failed }),
          actor: args.actor,
          ...(args.notify ? { notify: true } : {}),
        });
      });
      queue.finish(turn, mode ?? 'failed');
    }
    state.totals = addUsage(state.totals, spent);
    remember(state.recentTurns, summarize(turn, spent), RECENT_TURNS_KEPT);
  }
}

function ensureSearchAttributes(input: ChatSessionInput): void {
  const current = workflowInfo().typedSearchAttributes;
  if (current.get(SA.appId) !== undefined) return;
  upsertSearchAttributes([
    { key: SA.appId, value: input.appId },
    { key: SA.userId, value: input.userId },
    { key: SA.template, value: input.template.name },
    { key: SA.kind, value: 'chat' },
  ]);
}

function isSettled(turn: QueuedTurn): boolean {
  return turn.status !== 'queued' && turn.status !== 'running';
}

function failureType(turn: QueuedTurn): string {
  switch (turn.status) {
    case 'interrupted':
      return TURN_FAILURE_TYPES.interrupted;
    case 'rolled_back':
      return TURN_FAILURE_TYPES.rolledBack;
    case 'cancelled':
      // Cancelled by a signal, or never run because the session closed first.
      return turn.cancelMode ? TURN_FAILURE_TYPES.cancelled : TURN_FAILURE_TYPES.sessionClosed;
    default:
      return turn.failureType ?? TURN_FAILURE_TYPES.failed;
  }
}

function summarize(turn: QueuedTurn, usage: UsageTotals): TurnSummary {
  return {
    turnId: turn.args.turnId,
    status: turn.status,
    user_preview: turn.args.content.slice(0, PREVIEW_CHARS),
    reply_preview: turn.reply?.message.content.slice(0, PREVIEW_CHARS) ?? '',
    usage,
  };
}

/** Appends to a bounded collection, dropping the oldest entries. */
function remember<T>(collection: T[] | Set<T>, item: T, limit = KNOWN_TURN_IDS_KEPT): void {
  if (collection instanceof Set) {
    collection.add(item);
    if (collection.size > limit) collection.delete(collection.values().next().value as T);
    return;
  }
  collection.push(item);
  if (collection.length > limit) collection.splice(0, collection.length - limit);
}

function describe(error: unknown): string {
  let current: unknown = error;
  let message = 'the turn failed';
  while (current instanceof Error) {
    message = current.message || message;
    current = current.cause;
  }
  return message;
}
