/**
 * The shapes a pack run exchanges with its steps, activities and callers. The run's history holds
 * ids, statuses and usage; step outputs live in MongoDB and travel as references.
 */
import type { ActorContext } from '../audit';
import type { UsageTotals } from '../chat';
import type { ChatTemplate } from '../templates';
import type { PackDefinition } from './schema';

export const PACK_RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'skipped';
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'budget_exhausted';

export interface PackRunInput {
  appId: string;
  runId: string;
  userId: string;
  pack: PackDefinition;
  /** Every template a step uses, snapshotted when the run starts. */
  templates: Record<string, ChatTemplate>;
  input: Record<string, string>;
  /** Stop starting steps once the run has spent this much (nano-dollars). */
  budgetNanos?: number;
  /** The pack's max_parallel, lowered to the app's concurrency limit. */
  maxParallel: number;
  actor: ActorContext;
}

export interface PackStepInput {
  appId: string;
  runId: string;
  userId: string;
  stepId: string;
  template: ChatTemplate;
  prompt: string;
  input: Record<string, string>;
  /** The steps whose outputs the prompt reads. */
  reads: string[];
  actor: ActorContext;
}

export interface PackStepResult {
  stepId: string;
  /** Where the output is stored (pack_step_outputs), never the text itself. */
  outputRef: string;
  outputChars: number;
  usage: UsageTotals;
  llmCalls: number;
}

export interface StepState {
  status: StepStatus;
  usage?: UsageTotals;
  outputRef?: string;
  outputChars?: number;
  error?: string;
}

export interface PackRunStatus {
  appId: string;
  runId: string;
  pack: string;
  status: RunStatus;
  steps: Record<string, StepState>;
  totals: UsageTotals;
  budgetNanos?: number;
}

export type PackRunResult = PackRunStatus;

/** Ids of what a run writes, deterministic so every retried write lands on the same document. */
export const packIds = {
  /** The synthetic chat a step's turn runs in (`:` never appears in a real chat id). */
  stepChat: (runId: string, stepId: string, attempt: number) => `pack:${runId}:${stepId}${attempt > 1 ? `:a${attempt}` : ''}`,
  stepTurn: (runId: string, stepId: string, attempt: number) => `pack:${runId}:${stepId}:t${attempt}`,
  /** The "chat" of the run's progress event stream. */
  runStream: (runId: string) => `pack:${runId}`,
  output: (runId: string, stepId: string) => `${runId}:${stepId}`,
  webhook: (appId: string, kind: string, id: string) => `msg_${kind}_${appId}_${id}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
};

export const PACK_EVENT_TYPES = [
  'run.started',
  'step.started',
  'step.completed',
  'step.failed',
  'step.cancelled',
  'step.skipped',
  'run.completed',
] as const;
export type PackEventType = (typeof PACK_EVENT_TYPES)[number];

export interface WebhookDeliveryInput {
  appId: string;
  webhookId: string;
  eventType: string;
  data: Record<string, unknown>;
}
