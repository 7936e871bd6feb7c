/**
 * One chat turn, sent the way each side's callers send it: Tessera through `ChatClient.sendMessage`
 * (Update-with-Start on the chat's workflow, accepted and then awaited), the baseline through the
 * SDK's `executeUpdateWithStart` on its bare workflow (one call that waits for the result). Both
 * carry the same user text and start the workflow when it is not running.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { ChatClient } from '../../src/client/chat-client';
import type { ChatTemplate } from '../../src/domain/templates';
import { bareTurnUpdate, type bareUpdateWorkflow } from '../workflows/bare-update';

export interface TurnSender {
  readonly name: string;
  /** Sends turn `turn` of `conversation` and resolves with its reply. */
  send(conversation: string, turn: number): Promise<void>;
}

export function userText(turn: number): string {
  return `Turn ${turn}: in two sentences, what does a durable workflow remember between messages?`;
}

export function tesseraSender(chats: ChatClient, opts: { appId: string; userId: string; template: ChatTemplate }): TurnSender {
  return {
    name: 'Tessera',
    async send(conversation, turn) {
      await chats.sendMessage({ appId: opts.appId, chatId: conversation, userId: opts.userId, template: opts.template, content: userText(turn) });
    },
  };
}

/** `maxUpdates` is how many Updates one run takes before it ends (the next turn starts a new run). */
export function baselineSender(client: Client, opts: { taskQueue: string; maxUpdates: number }): TurnSender {
  return {
    name: 'baseline',
    async send(conversation, turn) {
      await client.workflow.executeUpdateWithStart(bareTurnUpdate, {
        args: [userText(turn)],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof bareUpdateWorkflow>('bareUpdateWorkflow', {
          workflowId: `bare:${conversation}`,
          taskQueue: opts.taskQueue,
          args: [{ maxUpdates: opts.maxUpdates }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    },
  };
}
