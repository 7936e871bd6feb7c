/**
 * The pack activities, built from the clients a worker owns: render a step's prompt from stored
 * outputs, store a step's output, record the run, publish progress, deliver signed webhooks. Each
 * is idempotent on the ids it is given.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import type { UsageTotals } from '../../domain/chat';
import { packIds, renderPrompt, type PackEventType, type PackRunStatus, type WebhookDeliveryInput } from '../../domain/packs';
import { ChatRepository } from '../../stores/chat-repository';
import type { MongoStores } from '../../stores/mongo';
import { Budgets, budgetScopes } from '../../stores/budgets';
import { PackEvents } from '../../stores/pack-events';
import { PackStore } from '../../stores/pack-store';
import { tenantCollections } from '../../stores/tenant-collection';
import { toStorableText } from '../../domain/text/storable';
import { failFastOnStoreErrors } from '../store-failures';
import { postWebhook, WebhookRefused } from './webhook';

export interface PackActivityDeps {
  mongo: MongoStores;
  redis: Redis;
  now?: () => Date;
  webhookTimeoutMs?: number;
}

export interface RecordRunArgs {
  status: PackRunStatus;
  userId: string;
  finalSteps: string[];
  ended: boolean;
}

export interface PrepareStepArgs {
  appId: string;
  runId: string;
  stepId: string;
  prompt: string;
  input: Record<string, string>;
  reads: string[];
  attempt: number;
}

export interface SaveStepOutputArgs {
  appId: string;
  runId: string;
  stepId: string;
  chatId: string;
  messageId: string;
  usage: UsageTotals;
}

export interface RunEventArgs {
  appId: string;
  runId: string;
  dedupKey: string;
  type: PackEventType;
  stepId?: string;
  data: Record<string, unknown>;
}

export function createPackActivities(deps: PackActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const events = new PackEvents(deps.redis);
  const store = (appId: string) => new PackStore(deps.mongo, appId);
  const budgets = new Budgets(deps.redis);

  return failFastOnStoreErrors({
    /** Writes the run's document; publishes `run.started` / `run.completed` once. At the start, the
     * run's budget becomes the limit its steps' LLM calls reserve against (lifted at the end). Says
     * whether the app has a webhook to tell. */
    async recordPackRun(args: RecordRunArgs): Promise<{ webhook: boolean }> {
      const { status } = args;
      const packs = store(status.appId);
      if (status.budgetNanos !== undefined) {
        await budgets.setLimit(budgetScopes.packRun(status.appId, status.runId), args.ended ? null : status.budgetNanos);
      }
      await packs.recordRun({ ...status, userId: args.userId, finalSteps: args.finalSteps }, now(), args.ended);
      const type = args.ended ? 'run.completed' : 'run.started';
      await events.publishOnce(status.appId, status.runId, type, type, {
        status: status.status,
        totals: status.totals,
        ...(args.ended ? { steps: status.steps } : { steps: Object.keys(status.steps) }),
      });
      return { webhook: args.ended && (await packs.getSettings())?.webhook !== undefined };
    },

    /** The step's user message: its prompt with the run's input and its ancestors' outputs. */
    async preparePackStep(args: PrepareStepArgs): Promise<{ content: string }> {
      const outputs = await store(args.appId).outputsOf(args.runId, args.reads);
      const missing = args.reads.filter((step) => outputs[step] === undefined);
      if (missing.length > 0) {
        throw ApplicationFailure.create({ type: 'pack_output_missing', nonRetryable: true, message: `no stored output of ${missing.join(', ')}` });
      }
      let content: string;
      try {
        // Outputs are model text, input was stored before the edge refused NUL: the step's message
        // is made storable as model text is (docs/design-notes.md, "Text that reaches a store").
        content = toStorableText(renderPrompt(args.prompt, { input: args.input, outputs }));
      } catch (error) {
        throw ApplicationFailure.create({ type: 'pack_bad_prompt', nonRetryable: true, message: (error as Error).message });
      }
      await events.publishOnce(args.appId, args.runId, `step.started:${args.stepId}:${args.attempt}`, 'step.started', { step: args.stepId, attempt: args.attempt }, args.stepId);
      return { content };
    },

    /** Copies the step's final reply into `pack_step_outputs`; the workflow keeps the reference. */
    async savePackStepOutput(args: SaveStepOutputArgs): Promise<{ outputRef: string; outputChars: number }> {
      const chats = new ChatRepository(tenantCollections(deps.mongo, args.appId));
      const reply = await chats.findMessage(args.chatId, args.messageId);
      if (!reply) throw ApplicationFailure.create({ type: 'pack_reply_missing', nonRetryable: true, message: `no reply ${args.messageId}` });
      const outputRef = packIds.output(args.runId, args.stepId);
      // Model text: already storable as stored by llmStep; a reply stored before that is made so here.
      const content = toStorableText(reply.content);
      await store(args.appId).saveOutput({
        output_id: outputRef,
        run_id: args.runId,
        step_id: args.stepId,
        content,
        usage: args.usage,
        created_at: now(),
      });
      await events.publishOnce(args.appId, args.runId, `step.completed:${args.stepId}`, 'step.completed', {
        step: args.stepId,
        usage: args.usage,
        output_chars: content.length,
      }, args.stepId);
      return { outputRef, outputChars: content.length };
    },

    async publishPackEvent(args: RunEventArgs): Promise<void> {
      await events.publishOnce(args.appId, args.runId, args.dedupKey, args.type, args.data, args.stepId);
    },

    /** POSTs the event to the app's webhook; a retry re-signs with its own timestamp. */
    async deliverWebhook(args: WebhookDeliveryInput): Promise<{ status: 'delivered' | 'skipped' | 'already_delivered'; httpStatus?: number }> {
      const packs = store(args.appId);
      const previous = await packs.getDelivery(args.webhookId);
      if (previous?.status === 'delivered') return { status: 'already_delivered' };
      const webhook = (await packs.getSettings())?.webhook;
      const attempt = Context.current().info.attempt;
      if (!webhook) {
        await packs.recordDelivery({ webhook_id: args.webhookId, event_type: args.eventType, status: 'skipped', attempts: attempt, updated_at: now() });
        return { status: 'skipped' };
      }
      const timestamp = Math.floor(now().getTime() / 1000);
      const body = JSON.stringify({ type: args.eventType, timestamp: new Date(timestamp * 1000).toISOString(), data: args.data });
      let response;
      try {
        response = await postWebhook(
          { url: webhook.url, secret: webhook.secret, allowPrivate: webhook.allow_private_addresses },
          { id: args.webhookId, timestamp, body },
          deps.webhookTimeoutMs ?? 10_000,
        );
      } catch (error) {
        if (error instanceof WebhookRefused) {
          await packs.recordDelivery({ webhook_id: args.webhookId, event_type: args.eventType, status: 'refused', attempts: attempt, updated_at: now() });
          throw ApplicationFailure.create({ type: 'webhook_refused', nonRetryable: true, message: error.message });
        }
        throw error;
      }
      if (response.status < 200 || response.status >= 300) {
        throw ApplicationFailure.create({ type: 'webhook_http_error', message: `webhook answered ${response.status}` });
      }
      await packs.recordDelivery({
        webhook_id: args.webhookId,
        event_type: args.eventType,
        status: 'delivered',
        attempts: attempt,
        http_status: response.status,
        updated_at: now(),
      });
      return { status: 'delivered', httpStatus: response.status };
    },
  });
}

export type PackActivities = ReturnType<typeof createPackActivities>;
