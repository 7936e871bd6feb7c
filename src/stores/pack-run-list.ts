/**
 * Pack runs of one app as a newest-first list (`GET /v1/pack-runs`, the console's Packs page):
 * optionally of one status or one pack, most recently started first, in pages that start strictly
 * after the last (created_at, run_id) the previous page returned. The tenant collection scopes
 * every query to the app.
 */
import type { Filter } from 'mongodb';
import type { ListPosition } from '../domain/api/list-cursor';
import type { RunStatus } from '../domain/packs';
import type { PackRunDoc, PackStore } from './pack-store';

export interface PackRunListPage {
  limit: number;
  status?: RunStatus;
  pack?: string;
  after?: ListPosition;
}

export async function listPackRuns(store: Pick<PackStore, 'runs'>, page: PackRunListPage): Promise<PackRunDoc[]> {
  const clauses: Filter<PackRunDoc>[] = [];
  if (page.status !== undefined) clauses.push({ status: page.status });
  if (page.pack !== undefined) clauses.push({ pack: page.pack });
  if (page.after) {
    clauses.push({ $or: [{ created_at: { $lt: page.after.at } }, { created_at: page.after.at, run_id: { $lt: page.after.id } }] });
  }
  const filter: Filter<PackRunDoc> = clauses.length === 0 ? {} : clauses.length === 1 ? clauses[0]! : { $and: clauses };
  // Step states and outputs are the run view's; the list needs the run's own fields only.
  return store.runs.find<PackRunDoc>(filter, { sort: { created_at: -1, run_id: -1 }, limit: page.limit, projection: { _id: 0, steps: 0 } });
}
