/**
 * Incidents in MongoDB (`incidents`, one document per incident, scoped by `app_id`). Every write is
 * idempotent on its ids, so a retried activity never duplicates an incident or a step. The apps that
 * ever had an incident are kept in a Redis set, so an admin listing across apps still queries each
 * app's own scope.
 */
import type { Redis } from 'ioredis';
import type { Decision, IncidentDoc, IncidentStatus, IncidentStep, RuleName } from '../domain/ops';
import type { MongoStores } from './mongo';
import { isDuplicateKeyError } from './mongo-errors';
import { TenantCollection } from './tenant-collection';

const APPS_KEY = 'ops:incident-apps';

export interface IncidentFilter {
  app_id?: string;
  status?: IncidentStatus;
  rule?: RuleName;
  /** Only incidents after this one in the list's order (newest first): a page's last one. */
  after?: { opened_at: Date; incident_id: string };
  limit: number;
}

export type IncidentChanges = Partial<Pick<IncidentDoc, 'status' | 'summary' | 'summary_source' | 'suggested_action' | 'decision' | 'closed_at' | 'alerts'>>;

export class Incidents {
  constructor(
    private readonly mongo: MongoStores,
    private readonly redis: Redis,
  ) {}

  /** Inserts the incident unless it exists; returns the stored one either way. */
  async open(doc: IncidentDoc): Promise<IncidentDoc> {
    await this.redis.sadd(APPS_KEY, doc.app_id);
    try {
      await this.collection(doc.app_id).insertOne(doc);
      return doc;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return (await this.get(doc.app_id, doc.incident_id)) ?? doc;
    }
  }

  async get(appId: string, incidentId: string): Promise<IncidentDoc | null> {
    return this.collection(appId).findOne<IncidentDoc>({ incident_id: incidentId }, { projection: { _id: 0 } });
  }

  /** Appends a step once (by `step_id`) and applies the changes, in one update: a reader never
   * sees a step without the status it brought (a step seen "applied" while still "awaiting"). The
   * update is conditional on the step count read just before (FerretDB does not match a negated
   * `$elemMatch` on an array); a writer that lost a race to another one fails retryably, and the
   * activity's retry reads the incident again. FerretDB 1.x does not make concurrent updates of one
   * document atomic (8 parallel `$inc`s there add 4), which is safe here only because an incident's
   * one writer is its remediation workflow, whose activities run one after another. */
  async record(appId: string, incidentId: string, step: IncidentStep | undefined, changes: IncidentChanges, now: Date): Promise<void> {
    const collection = this.collection(appId);
    const set = { $set: { ...changes, updated_at: now } };
    const current = step ? await this.get(appId, incidentId) : null;
    if (step && current && !current.steps.some((known) => known.step_id === step.step_id)) {
      const appended = await collection.updateOne({ incident_id: incidentId, steps: { $size: current.steps.length } }, { ...set, $push: { steps: step } });
      if (appended.matched === 0) throw new Error(`incident ${incidentId} changed under the append of step ${step.step_id}; retry`);
      return;
    }
    // No step, or a retry whose step is already in: the changes alone (idempotent).
    await collection.updateOne({ incident_id: incidentId }, set);
  }

  async list(filter: IncidentFilter): Promise<IncidentDoc[]> {
    const apps = filter.app_id ? [filter.app_id] : (await this.redis.smembers(APPS_KEY)).sort();
    const { after } = filter;
    const query = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.rule ? { rule: filter.rule } : {}),
      ...(after ? { $or: [{ opened_at: { $lt: after.opened_at } }, { opened_at: after.opened_at, incident_id: { $lt: after.incident_id } }] } : {}),
    };
    const perApp = await Promise.all(
      apps.map((appId) => this.collection(appId).find<IncidentDoc>(query, { sort: { opened_at: -1, incident_id: -1 }, limit: filter.limit, projection: { _id: 0 } })),
    );
    return perApp.flat().sort(newestFirst).slice(0, filter.limit);
  }

  /** The approval decisions of the app's last incidents of a rule, oldest first (for promotion). */
  async recentDecisions(appId: string, rule: RuleName, limit: number): Promise<Decision[]> {
    const docs = await this.collection(appId).find<IncidentDoc>(
      { rule, decision: { $in: ['approved', 'rejected', 'timed_out'] } },
      { sort: { opened_at: -1 }, limit, projection: { decision: 1, _id: 0 } },
    );
    return docs.map((doc) => doc.decision as Decision).reverse();
  }

  private collection(appId: string): TenantCollection<IncidentDoc> {
    return new TenantCollection<IncidentDoc>(appId, 'incidents', async () => (await this.mongo.dbFor(appId)).collection<IncidentDoc>('incidents'));
  }
}

/** The list's order: newest opened first, then by id (a stable order for cursor pages). */
function newestFirst(a: IncidentDoc, b: IncidentDoc): number {
  return b.opened_at.getTime() - a.opened_at.getTime() || (a.incident_id < b.incident_id ? 1 : a.incident_id > b.incident_id ? -1 : 0);
}
