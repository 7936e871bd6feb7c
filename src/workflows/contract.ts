/**
 * The names both sides of Temporal agree on: task queues, search attributes, workflow ids, and the
 * Update/Signal/Query definitions. Imported by workflows, workers, the API and the CLI alike, so a
 * name can never drift between the caller and the workflow.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChatStatus, SendMessageArgs, TurnReply, TurnSummary } from '../domain/chat';

export const TASK_QUEUES = {
  chat: 'tessera-chat',
  analytics: 'tessera-analytics',
  ops: 'tessera-ops',
} as const;

export const SEARCH_ATTRIBUTES = ['TesseraAppId', 'TesseraUserId', 'TesseraTemplate', 'TesseraKind'] as const;

export const SA = {
  appId: defineSearchAttributeKey('TesseraAppId', 'KEYWORD'),
  userId: defineSearchAttributeKey('TesseraUserId', 'KEYWORD'),
  template: defineSearchAttributeKey('TesseraTemplate', 'KEYWORD'),
  kind: defineSearchAttributeKey('TesseraKind', 'KEYWORD'),
} as const;

export const workflowIds = {
  chat: (appId: string, chatId: string) => `chat:${appId}:${chatId}`,
  pack: (appId: string, runId: string) => `pack:${appId}:${runId}`,
  etl: (windowStartIso: string) => `etl:${windowStartIso}`,
  aggregation: (day: string) => `agg:${day}`,
  incident: (appId: string, rule: string) => `incident:${appId}:${rule}`,
} as const;

// chatSession: one per chat. Turns arrive as Updates; the rest are Signals and Queries.
export const sendMessageUpdate = defineUpdate<TurnReply, [SendMessageArgs]>('sendMessage');
export const cancelTurnSignal = defineSignal<[{ turnId?: string }]>('cancelTurn');
export const closeSignal = defineSignal<[{ reason?: string }]>('close');
export const statusQuery = defineQuery<ChatStatus>('status');
export const transcriptQuery = defineQuery<TurnSummary[]>('transcript');

/** ApplicationFailure types a caller of `sendMessage` may see, besides the validator's
 * `RejectionCode`s. */
export const TURN_FAILURE_TYPES = {
  interrupted: 'turn_interrupted',
  rolledBack: 'turn_rolled_back',
  cancelled: 'turn_cancelled',
  failed: 'turn_failed',
  sessionClosed: 'session_closed',
} as const;
