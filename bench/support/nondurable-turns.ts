/**
 * A Tessera turn's work without Temporal: the worker's own `llmStep` activity (begin the turn, read
 * the transcript, stream the deltas through `ChatEvents`, store the reply, write the usage event,
 * finish the turn), called in this process with the arguments the chat workflow passes it
 * (`runTurn`), each chat's session opened once as the workflow does. An activity needs a Context:
 * `MockActivityEnvironment` gives it one without a server. Used by bench:ttft's (b) and by
 * bench:turn-cpu's non-durable side.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ChatActivities } from '../../src/activities/chat';
import type { ActorContext } from '../../src/domain/audit';
import { messageIds, ZERO_USAGE, type LlmStepArgs, type SessionSnapshot } from '../../src/domain/chat';
import type { ChatTemplate } from '../../src/domain/templates';

export interface NondurableTurns {
  /** Runs one turn of `chatId` to its end (its reply stored, the turn finished). */
  run(chatId: string, turnId: string, content: string): Promise<void>;
}

export function nondurableTurns(opts: { activities: ChatActivities; appId: string; userId: string; template: ChatTemplate }): NondurableTurns {
  const { activities, appId, userId, template } = opts;
  const actor: ActorContext = { actor_id: `app:${appId}`, roles: ['app'], app_id: appId, via: 'app_key' };
  // What the chat workflow holds between turns: the session, opened once, and its counters.
  const sessions = new Map<string, Promise<{ nextSeq: number; turnCount: number }>>();
  const session = (chatId: string) => {
    let opened = sessions.get(chatId);
    if (!opened) {
      opened = new MockActivityEnvironment()
        .run<[], SessionSnapshot, () => Promise<SessionSnapshot>>(() => activities.openSession({ appId, chatId, userId, template: template.name, actor }))
        .then((snapshot) => ({ nextSeq: snapshot.nextSeq, turnCount: snapshot.turnCount }));
      sessions.set(chatId, opened);
    }
    return opened;
  };
  // The first step's arguments as `runTurn` builds them (begin and accounting in the step).
  const firstStep = (chatId: string, turnId: string, content: string, state: { nextSeq: number; turnCount: number }): LlmStepArgs => {
    const turnNumber = ++state.turnCount;
    const userSeq = state.nextSeq++;
    const seq = state.nextSeq++;
    const tokensLeft = template.turn_token_budget;
    return {
      appId,
      chatId,
      turnId,
      step: 0,
      seq,
      messageId: messageIds.assistant(turnId, 0),
      template,
      allowTools: template.tools.length > 0 && template.max_tool_steps > 0 && tokensLeft > 0,
      maxOutputTokens: Math.max(16, Math.min(template.max_output_tokens, tokensLeft)),
      begin: { appId, chatId, userId, turnId, turnNumber, message: { messageId: messageIds.user(turnId), seq: userSeq, content }, actor },
      // As `?wait=false` asks of a Tessera turn: its end goes to the app's webhook (none is set).
      accounting: { userId, actor, finish: { turnNumber, spentBefore: ZERO_USAGE, notify: true } },
    };
  };
  return {
    async run(chatId, turnId, content) {
      const args = firstStep(chatId, turnId, content, await session(chatId));
      await new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }).run(() => activities.llmStep(args));
    },
  };
}
