/**
 * Ops policies in MongoDB (`ops_policies`): per-app overrides, plus a stored default under the
 * reserved id `_default` (its own tenant scope) layered over the built-in one. Writing an app's
 * policy also writes its monthly budget limit to Redis, where every replica's reservations read it.
 */
import type { Redis } from 'ioredis';
import { effectivePolicy, budgetNanos, type OpsPolicy, type OpsPolicyOverrides } from '../domain/ops';
import { Budgets, budgetScopes } from './budgets';
import type { MongoStores } from './mongo';
import { TenantCollection } from './tenant-collection';

export const DEFAULT_POLICY_ID = '_default';

interface PolicyDoc {
  app_id: string;
  overrides: OpsPolicyOverrides;
  updated_at: Date;
  updated_by: string;
}

export class OpsPolicies {
  private readonly budgets: Budgets;

  constructor(
    private readonly mongo: MongoStores,
    redis: Redis,
  ) {
    this.budgets = new Budgets(redis);
  }

  async overrides(appId: string): Promise<OpsPolicyOverrides | null> {
    const doc = await this.collection(appId).findOne<PolicyDoc>({}, { projection: { _id: 0 } });
    return doc?.overrides ?? null;
  }

  /** The policy in force: built-in default, then the stored default, then the app's overrides. */
  async effective(appId: string): Promise<OpsPolicy> {
    const [base, own] = await Promise.all([this.overrides(DEFAULT_POLICY_ID), appId === DEFAULT_POLICY_ID ? null : this.overrides(appId)]);
    return effectivePolicy(own ?? {}, effectivePolicy(base ?? {}));
  }

  async put(appId: string, overrides: OpsPolicyOverrides, actor: string, now: Date): Promise<OpsPolicy> {
    await this.collection(appId).updateOne(
      {},
      { $set: { overrides, updated_at: now, updated_by: actor } },
      { upsert: true },
    );
    const policy = await this.effective(appId);
    if (appId !== DEFAULT_POLICY_ID) await this.syncBudget(appId, policy, now);
    return policy;
  }

  /** Writes the app's monthly budget limit where reservations read it (idempotent). */
  async syncBudget(appId: string, policy: OpsPolicy, now: Date): Promise<void> {
    await this.budgets.setLimit(budgetScopes.appMonth(appId, now), budgetNanos(policy));
  }

  private collection(appId: string): TenantCollection<PolicyDoc> {
    return new TenantCollection<PolicyDoc>(appId, 'ops_policies', async () => (await this.mongo.dbFor(appId)).collection<PolicyDoc>('ops_policies'));
  }
}
