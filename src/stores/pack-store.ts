/**
 * Pack runs in MongoDB, per app: `pack_runs` (one document per run: status, steps, totals) and
 * `pack_step_outputs` (one per finished step: the output text the run's history only references),
 * and `app_pack_settings` (which packs an app may run, its webhook). Every write is an upsert keyed
 * by ids the workflow hands in, so a retried activity rewrites the same document.
 */
import type { UsageTotals } from '../domain/chat';
import type { PackRunStatus, RunStatus, StepState } from '../domain/packs';
import type { MongoStores } from './mongo';
import { TenantCollection, type TenantDoc } from './tenant-collection';

export interface PackRunDoc extends TenantDoc {
  run_id: string;
  pack: string;
  user_id: string;
  status: RunStatus;
  steps: Record<string, StepState>;
  totals: UsageTotals;
  budget_nanos?: number;
  /** The outputs of the steps no other step depends on. */
  final_steps: string[];
  created_at: Date;
  updated_at: Date;
  ended_at?: Date;
}

export interface PackStepOutputDoc extends TenantDoc {
  output_id: string;
  run_id: string;
  step_id: string;
  content: string;
  usage: UsageTotals;
  created_at: Date;
}

export interface WebhookSettings {
  url: string;
  secret: string;
  /** Loopback, private and link-local addresses are refused unless this is set (by an admin). */
  allow_private_addresses: boolean;
  updated_at: Date;
}

export interface AppPackSettingsDoc extends TenantDoc {
  /** Pack name → enabled; a pack not listed is enabled. */
  packs: Record<string, boolean>;
  webhook?: WebhookSettings;
  updated_at: Date;
}

export interface WebhookDeliveryDoc extends TenantDoc {
  webhook_id: string;
  event_type: string;
  status: 'delivered' | 'refused' | 'skipped';
  attempts: number;
  http_status?: number;
  updated_at: Date;
}

export class PackStore {
  readonly runs: TenantCollection<PackRunDoc>;
  readonly outputs: TenantCollection<PackStepOutputDoc>;
  readonly settings: TenantCollection<AppPackSettingsDoc>;
  readonly deliveries: TenantCollection<WebhookDeliveryDoc>;

  constructor(mongo: MongoStores, readonly appId: string) {
    const open = (name: string) => async () => (await mongo.dbFor(appId)).collection(name);
    this.runs = new TenantCollection<PackRunDoc>(appId, 'pack_runs', open('pack_runs') as never);
    this.outputs = new TenantCollection<PackStepOutputDoc>(appId, 'pack_step_outputs', open('pack_step_outputs') as never);
    this.settings = new TenantCollection<AppPackSettingsDoc>(appId, 'app_pack_settings', open('app_pack_settings') as never);
    this.deliveries = new TenantCollection<WebhookDeliveryDoc>(appId, 'webhook_deliveries', open('webhook_deliveries') as never);
  }

  async recordRun(status: PackRunStatus & { userId: string; finalSteps: string[] }, now: Date, ended: boolean): Promise<void> {
    await this.runs.updateOne(
      { run_id: status.runId },
      {
        $set: {
          status: status.status,
          steps: status.steps,
          totals: status.totals,
          updated_at: now,
          ...(ended ? { ended_at: now } : {}),
        },
        $setOnInsert: {
          run_id: status.runId,
          pack: status.pack,
          user_id: status.userId,
          final_steps: status.finalSteps,
          created_at: now,
          ...(status.budgetNanos !== undefined ? { budget_nanos: status.budgetNanos } : {}),
        },
      },
      { upsert: true },
    );
  }

  /** The run's document as the API writes it before starting the workflow (so status and events
   * answer at once); never overwrites a run that exists. */
  async createRun(run: { runId: string; pack: string; userId: string; stepIds: string[]; finalSteps: string[]; budgetNanos?: number }, now: Date): Promise<void> {
    await this.runs.updateOne(
      { run_id: run.runId },
      {
        $setOnInsert: {
          run_id: run.runId,
          pack: run.pack,
          user_id: run.userId,
          status: 'running',
          steps: Object.fromEntries(run.stepIds.map((id) => [id, { status: 'pending' }])),
          totals: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, cost_nanos: 0, unpriced_calls: 0 },
          final_steps: run.finalSteps,
          created_at: now,
          updated_at: now,
          ...(run.budgetNanos !== undefined ? { budget_nanos: run.budgetNanos } : {}),
        },
      },
      { upsert: true },
    );
  }

  async getRun(runId: string): Promise<PackRunDoc | null> {
    return this.runs.findOne<PackRunDoc>({ run_id: runId }, { projection: { _id: 0 } });
  }

  async saveOutput(doc: Omit<PackStepOutputDoc, 'app_id'>): Promise<void> {
    await this.outputs.updateOne(
      { run_id: doc.run_id, step_id: doc.step_id },
      { $set: { content: doc.content, usage: doc.usage }, $setOnInsert: { output_id: doc.output_id, run_id: doc.run_id, step_id: doc.step_id, created_at: doc.created_at } },
      { upsert: true },
    );
  }

  /** The outputs of one run's steps, by step id. */
  async outputsOf(runId: string, stepIds: readonly string[]): Promise<Record<string, string>> {
    if (stepIds.length === 0) return {};
    const docs = await this.outputs.find<PackStepOutputDoc>({ run_id: runId }, { projection: { _id: 0 } });
    const wanted = new Set(stepIds);
    return Object.fromEntries(docs.filter((doc) => wanted.has(doc.step_id)).map((doc) => [doc.step_id, doc.content]));
  }

  async getSettings(): Promise<AppPackSettingsDoc | null> {
    return this.settings.findOne<AppPackSettingsDoc>({}, { projection: { _id: 0 } });
  }

  async setPackEnabled(pack: string, enabled: boolean, now: Date): Promise<void> {
    await this.settings.updateOne({}, { $set: { [`packs.${pack}`]: enabled, updated_at: now } }, { upsert: true });
  }

  async setWebhook(webhook: WebhookSettings | null, now: Date): Promise<void> {
    await this.settings.updateOne(
      {},
      webhook ? { $set: { webhook, updated_at: now } } : { $unset: { webhook: '' }, $set: { updated_at: now } },
      { upsert: true },
    );
  }

  async getDelivery(webhookId: string): Promise<WebhookDeliveryDoc | null> {
    return this.deliveries.findOne<WebhookDeliveryDoc>({ webhook_id: webhookId }, { projection: { _id: 0 } });
  }

  async recordDelivery(doc: Omit<WebhookDeliveryDoc, 'app_id'>): Promise<void> {
    await this.deliveries.updateOne({ webhook_id: doc.webhook_id }, { $set: { ...doc } }, { upsert: true });
  }
}

export function packEnabled(settings: AppPackSettingsDoc | null, pack: string): boolean {
  return settings?.packs?.[pack] ?? true;
}
