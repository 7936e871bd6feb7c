/**
 * Reads an `explain` answer from MongoDB or FerretDB and says which indexes the plan reads and
 * whether it scans a whole collection. MongoDB: `queryPlanner.winningPlan` stages (IXSCAN,
 * COLLSCAN). FerretDB on PostgreSQL: `queryPlanner.Plan` is PostgreSQL's JSON plan (Index Scan,
 * Bitmap Index Scan, Seq Scan).
 */
import type { Db, Document } from 'mongodb';

export interface PlanAccess {
  indexes: string[];
  fullScan: boolean;
}

export function planAccess(explain: Document): PlanAccess {
  const access: PlanAccess = { indexes: [], fullScan: false };
  const planner = (explain.queryPlanner ?? {}) as Document;
  walk(planner.winningPlan ?? planner.Plan, access);
  return access;
}

function walk(node: unknown, access: PlanAccess): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, access);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const plan = node as Document;
  if (plan.stage === 'IXSCAN' && typeof plan.indexName === 'string') access.indexes.push(plan.indexName);
  if (plan.stage === 'COLLSCAN') access.fullScan = true;
  if (typeof plan['Index Name'] === 'string') access.indexes.push(plan['Index Name']);
  if (plan['Node Type'] === 'Seq Scan') access.fullScan = true;
  for (const key of ['inputStage', 'inputStages', 'Plans', 'queryPlan']) walk(plan[key], access);
}

/** Explains a `find` command exactly as a client sent it (captured through command monitoring). */
export async function explainFind(db: Db, command: Document): Promise<PlanAccess> {
  const find: Document = {};
  for (const key of ['find', 'filter', 'sort', 'limit', 'skip', 'projection']) {
    if (command[key] !== undefined) find[key] = command[key];
  }
  return planAccess(await db.command({ explain: find }));
}
