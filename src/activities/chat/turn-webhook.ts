/**
 * A chat turn nobody waits for (`?wait=false`) tells the app's webhook when it ends: `finishTurn`
 * starts a `webhookDelivery` workflow (`webhook:{app}:{id}`), which POSTs the signed
 * `chat_turn.completed` event and retries for up to a day. The workflow id dedups, so a retried or
 * replayed `finishTurn` never sends the event twice. The event carries ids, status and usage, never
 * message text (the app reads the reply by its message id).
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { FinishTurnArgs } from '../../domain/chat';
import { packIds, type WebhookDeliveryInput } from '../../domain/packs';
import { nanosToUsd } from '../../domain/pricing';
import type { MongoStores } from '../../stores/mongo';
import { PackStore } from '../../stores/pack-store';
import { SA, workflowIds, type WebhookDeliveryWorkflow } from '../../workflows/contract';

export const CHAT_TURN_EVENT = 'chat_turn.completed';

/** The event's id: one per turn of a chat (stable across retries; receivers dedup on it). */
export function chatTurnWebhookId(appId: string, chatId: string, turnId: string): string {
  return packIds.webhook(appId, 'chat_turn', `${chatId}_${turnId}`);
}

export function chatTurnEvent(args: FinishTurnArgs): WebhookDeliveryInput {
  return {
    appId: args.appId,
    webhookId: chatTurnWebhookId(args.appId, args.chatId, args.turnId),
    eventType: CHAT_TURN_EVENT,
    data: {
      chat_id: args.chatId,
      turn_id: args.turnId,
      user_id: args.userId,
      turn_number: args.turnNumber,
      status: args.status,
      message_id: args.replyMessageId ?? null,
      usage: { input_tokens: args.usage.input_tokens, output_tokens: args.usage.output_tokens, cost_usd: nanosToUsd(args.usage.cost_nanos) },
      error: args.error ?? null,
    },
  };
}

/** Starts the turn's webhook delivery when asked and the app has a webhook; idempotent. */
export async function notifyTurnEnded(deps: { mongo: MongoStores; temporal?: Client | undefined }, args: FinishTurnArgs): Promise<void> {
  if (!args.notify) return;
  if ((await new PackStore(deps.mongo, args.appId).getSettings())?.webhook === undefined) return;
  if (!deps.temporal) {
    // A worker built without a client (benchmarks, activity tests): failing would stall the chat.
    Context.current().log.warn('a turn asked for its webhook, but this worker has no Temporal client to start the delivery', { turnId: args.turnId });
    return;
  }
  const event = chatTurnEvent(args);
  try {
    await deps.temporal.workflow.start<WebhookDeliveryWorkflow>('webhookDelivery', {
      workflowId: workflowIds.webhook(args.appId, event.webhookId),
      // The queue this turn runs on has the webhook activity too (packs share the chat queue).
      taskQueue: Context.current().info.taskQueue,
      args: [event],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SA.appId, value: args.appId },
        { key: SA.userId, value: args.userId },
        { key: SA.kind, value: 'webhook' },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
