/**
 * Starts, resumes and talks to `chatSession` workflows through the Temporal client. Used by the
 * CLI, the API and the tests, so every caller gets the same ids, search attributes and the same
 * respect for Temporal's Update limits.
 *
 * Temporal admits at most 10 Updates in flight per workflow run. A per-chat lane keeps this
 * process under that and sends one message at a time until the workflow accepted it (so a burst
 * keeps its order); an Update the server still refuses for that limit (other replicas are sending
 * too) is retried with backoff.
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActorContext } from '../domain/audit';
import type { ChatSessionInput, ChatStatus, OnBusyMode, TurnReply, TurnSummary } from '../domain/chat';
import type { ChatTemplate } from '../domain/templates';
import type { chatSession } from '../workflows/chat-session';
import {
  cancelTurnSignal,
  closeSignal,
  SA,
  sendMessageUpdate,
  statusQuery,
  TASK_QUEUES,
  transcriptQuery,
  workflowIds,
} from '../workflows/contract';
import { appPriority } from './fairness';
import { FifoGate } from './fifo-gate';

export interface ChatRefInput {
  appId: string;
  chatId: string;
}

export interface SendChatMessage extends ChatRefInput {
  userId: string;
  template: ChatTemplate;
  content: string;
  turnId?: string;
  messageId?: string;
  onBusy?: OnBusyMode;
  actor?: ActorContext;
  /** Temporal fairness weight of a chat this message starts (lowered while the ops autopilot throttles the app). */
  fairnessWeight?: number;
  /** The app's webhook hears when the turn ends (the API sets it for `?wait=false`). */
  notify?: boolean;
}

export interface SubmittedTurn {
  turnId: string;
  reply: Promise<TurnReply>;
}

/** A turn the session refused or could not finish, with the reason as a stable code. */
export class ChatTurnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChatTurnError';
  }
}

const MAX_IN_FLIGHT_PER_CHAT = 8;

export class ChatClient {
  private readonly lanes = new Map<string, ChatLane>();

  constructor(
    private readonly client: Client,
    private readonly options: {
      taskQueue?: string;
      turnsPerRun?: number;
      /** An app's own task queue (a dedicated data plane); undefined: `taskQueue`. */
      taskQueueFor?: (appId: string) => string | undefined;
    } = {},
  ) {}

  /** Sends one user message, starting or resuming the chat's workflow, and returns the reply. */
  async sendMessage(message: SendChatMessage): Promise<TurnReply> {
    return (await this.submit(message)).reply;
  }

  /**
   * Sends one user message and resolves once the session has accepted it (its validator passed);
   * `reply` settles when the turn ends. A refusal rejects with a `ChatTurnError`.
   */
  async submit(message: SendChatMessage): Promise<SubmittedTurn> {
    const turnId = message.turnId ?? message.messageId ?? randomUUID();
    const lane = this.laneFor(message);
    await lane.inFlight.enter();
    let update: WorkflowUpdateHandle<TurnReply>;
    try {
      // Sends are admitted one at a time until the workflow has accepted each, so concurrent
      // messages to one chat are queued in the order they were sent.
      await lane.sending.enter();
      try {
        update = await withUpdateLimitRetry(() => this.startTurn(message, turnId));
      } finally {
        lane.sending.leave();
      }
    } catch (error) {
      lane.inFlight.leave();
      throw asTurnError(error);
    }
    const reply = update.result().then(
      (result) => result,
      (error: unknown) => Promise.reject(asTurnError(error)),
    );
    // The lane counts the Update until it ends, whether or not anyone awaits the reply.
    void reply.then(
      () => lane.inFlight.leave(),
      () => lane.inFlight.leave(),
    );
    return { turnId, reply };
  }

  /** Starts the chat's workflow if it is not running (no message). */
  async ensureSession(ref: ChatRefInput & { userId: string; template: ChatTemplate }): Promise<WorkflowHandle<typeof chatSession>> {
    return this.client.workflow.start<typeof chatSession>('chatSession', {
      ...this.startOptions(ref),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  handle(ref: ChatRefInput): WorkflowHandle<typeof chatSession> {
    return this.client.workflow.getHandle<typeof chatSession>(workflowIds.chat(ref.appId, ref.chatId));
  }

  status(ref: ChatRefInput): Promise<ChatStatus> {
    return this.handle(ref).query(statusQuery);
  }

  transcript(ref: ChatRefInput): Promise<TurnSummary[]> {
    return this.handle(ref).query(transcriptQuery);
  }

  cancelTurn(ref: ChatRefInput, turnId?: string): Promise<void> {
    return this.handle(ref).signal(cancelTurnSignal, turnId ? { turnId } : {});
  }

  close(ref: ChatRefInput): Promise<void> {
    return this.handle(ref).signal(closeSignal, {});
  }

  private startTurn(message: SendChatMessage, turnId: string): Promise<WorkflowUpdateHandle<TurnReply>> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof chatSession>('chatSession', {
      ...this.startOptions(message),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return this.client.workflow.startUpdateWithStart(sendMessageUpdate, {
      updateId: turnId,
      waitForStage: 'ACCEPTED',
      startWorkflowOperation,
      args: [
        {
          turnId,
          ...(message.messageId ? { messageId: message.messageId } : {}),
          content: message.content,
          ...(message.onBusy ? { onBusy: message.onBusy } : {}),
          template: message.template.name,
          actor: message.actor ?? { actor_id: message.userId, roles: ['user'], app_id: message.appId },
          ...(message.notify ? { notify: true } : {}),
        },
      ],
    });
  }

  private startOptions(ref: ChatRefInput & { userId: string; template: ChatTemplate; fairnessWeight?: number }) {
    const input: ChatSessionInput = {
      appId: ref.appId,
      chatId: ref.chatId,
      userId: ref.userId,
      template: ref.template,
      ...(this.options.turnsPerRun ? { turnsPerRun: this.options.turnsPerRun } : {}),
    };
    return {
      workflowId: workflowIds.chat(ref.appId, ref.chatId),
      taskQueue: this.options.taskQueueFor?.(ref.appId) ?? this.options.taskQueue ?? TASK_QUEUES.chat,
      args: [input] as [ChatSessionInput],
      priority: appPriority(ref.appId, ref.fairnessWeight),
      typedSearchAttributes: [
        { key: SA.appId, value: ref.appId },
        { key: SA.userId, value: ref.userId },
        { key: SA.template, value: ref.template.name },
        { key: SA.kind, value: 'chat' },
      ],
    };
  }

  private laneFor(ref: ChatRefInput): ChatLane {
    const key = workflowIds.chat(ref.appId, ref.chatId);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = {
        inFlight: new FifoGate(MAX_IN_FLIGHT_PER_CHAT, () => this.lanes.delete(key)),
        sending: new FifoGate(1),
      };
      this.lanes.set(key, lane);
    }
    return lane;
  }
}

interface ChatLane {
  inFlight: FifoGate;
  sending: FifoGate;
}

function asTurnError(error: unknown): unknown {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    return new ChatTurnError(error.cause.type ?? 'turn_failed', error.cause.message);
  }
  return error;
}

/** Retries an Update the server refused because of the per-run Update limits, because the run was
 * just continuing as new or completing, or because the workflow task that was to take it failed
 * (a close or another message landing as the run completed: the server refuses the completion
 * with UnhandledCommand and the Update with "unexpected workflow task failure"), with capped
 * exponential backoff. The Update id is the turn id, so a retry never makes a second turn. */
async function withUpdateLimitRetry<T>(send: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= attempts || !isTransientUpdateRefusal(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
    }
  }
}

function isTransientUpdateRefusal(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (/in-flight|concurrent in-flight|limit on number|RESOURCE_EXHAUSTED|workflow execution already completed|continued as new|unexpected workflow task failure|Update-with-Start could not be executed/i.test(current.message)) {
      return true;
    }
    if ('code' in current && current.code === 8 /* gRPC RESOURCE_EXHAUSTED */) return true;
  }
  return false;
}
