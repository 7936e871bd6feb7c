/**
 * The chat activities (contract: `src/domain/chat/steps.ts`), built from the clients a worker
 * owns. Every activity is idempotent on the ids it is given, so Temporal may retry any of them;
 * a store error that will fail again is not retried (`failFastOnStoreErrors`).
 */
import { failFastOnStoreErrors } from '../store-failures';
import { accountingActivities, accountingLlmStep } from './accounting';
import { ChatActivityContext, type ChatActivityDeps } from './context';
import { llmStepActivity } from './llm-step';
import { sessionActivities } from './session';
import { toolActivities } from './tools';
import { turnActivities } from './turn';

export type { ChatActivityDeps } from './context';
export { LLM_FAILURE_TYPES } from './llm-errors';

export function createChatActivities(deps: ChatActivityDeps) {
  const ctx = new ChatActivityContext(deps);
  const { openSession, closeSession } = sessionActivities(ctx);
  const { beginTurn, finishTurn, discardTurn } = turnActivities(ctx);
  const llmStep = accountingLlmStep(ctx, llmStepActivity(ctx).llmStep);
  const { runTool } = toolActivities(ctx);
  const { recordLlmCall } = accountingActivities(ctx);
  return failFastOnStoreErrors({ openSession, beginTurn, llmStep, runTool, recordLlmCall, finishTurn, discardTurn, closeSession });
}

export type ChatActivities = ReturnType<typeof createChatActivities>;
