/**
 * The names both sides of Temporal agree on: task queues, search attributes, workflow ids, and the
 * Update/Signal/Query definitions. Imported by workflows, workers, the API and the CLI alike, so a
 * name can never drift between the caller and the workflow.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChatStatus, SendMessageArgs, TurnReply, TurnSummary } from '../domain/chat';
import type { PackRunStatus, WebhookDeliveryInput } from '../domain/packs';

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
  packStep: (appId: string, runId: string, stepId: string) => `pack:${appId}:${runId}:${stepId}`,
  webhook: (appId: string, webhookId: string) => `webhook:${appId}:${webhookId}`,
  etl: (windowStartIso: string) => `etl:${windowStartIso}`,
  aggregation: (day: string) => `agg:${day}`,
  incident: (appId: string, rule: string) => `incident:${appId}:${rule}`,
  etlBackfill: (requestId: string) => `etl-backfill:${requestId}`,
} as const;

/** Temporal Schedules of the analytics pipeline (created or updated at start and by `npm run schedules`). */
export const SCHEDULE_IDS = {
  etlHourly: 'tessera-etl-hourly',
  etlFresh: 'tessera-etl-fresh',
  aggDaily: 'tessera-agg-daily',
} as const;

/** Set by Temporal on workflows a Schedule starts: the time the action was due. */
export const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

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

// packRun: a pack's DAG; cancel it with Temporal's workflow cancellation (children follow).
export const packRunStatusQuery = defineQuery<PackRunStatus>('packStatus');

/** The `webhookDelivery` workflow's signature, for starters (activities) that must not import the workflow module. */
export type WebhookDeliveryWorkflow = (input: WebhookDeliveryInput) => Promise<{ status: string; httpStatus?: number }>;
