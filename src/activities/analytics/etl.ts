/**
 * The ETL step: one app's events of one time window from MongoDB into ClickHouse. Reads through
 * one cursor in bounded batches (sorted by `ts, event_id`), inserts each batch idempotently and
 * heartbeats the last committed event; a retried attempt resumes after it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { listApps, SYSTEM_APP_ID } from '../../stores/app-directory';
import type { AuditEventDoc, UsageEventDoc } from '../../stores/documents';
import { tenantCollections } from '../../stores/tenant-collection';
import { activityContext } from './activity-context';
import { chDateTime, insertBatch, insertValueLines } from './clickhouse-batch';
import type { AnalyticsDeps } from './deps';
import { markHoursWritten } from './hour-writes';
import { USAGE_ROW_COLUMNS, usageRowMapper, usageValuesLine } from './usage-rows';

export type EtlSource = 'usage' | 'audit';
export type EtlMode = 'etl' | 'reprice';

export interface EtlWindowInput {
  appId: string;
  source: EtlSource;
  /** ISO instants, `[from, to)`. */
  from: string;
  to: string;
  mode: EtlMode;
  /** Re-pricing: the price table version the caller expects the workers to price with. */
  priceTableVersion?: string;
}

export interface EtlWindowResult {
  rows: number;
  batches: number;
  /** Resumed after a previous attempt's last committed batch. */
  resumed: boolean;
}

export interface EtlProgress {
  after_ts: string;
  after_id: string;
  rows: number;
  batches: number;
}

export const ETL_BATCH_ROWS = 20_000;
/** Re-priced rows outrank rows carrying the billed figure, whenever either was written. */
export const REPRICE_VERSION_OFFSET = 2 ** 42;

export async function etlWindow(deps: AnalyticsDeps, input: EtlWindowInput): Promise<EtlWindowResult> {
  const ctx = activityContext();
  if (input.priceTableVersion !== undefined && input.priceTableVersion !== deps.priceBook.version) {
    throw ApplicationFailure.create({
      type: 'price_table_mismatch',
      message: `the workers price with ${deps.priceBook.version}, not ${input.priceTableVersion}`,
      nonRetryable: true,
    });
  }
  const previous = ctx?.info.heartbeatDetails as EtlProgress | undefined;
  const progress: EtlProgress = previous ? { ...previous } : { after_ts: '', after_id: '', rows: 0, batches: 0 };
  const collections = tenantCollections(deps.mongo, input.appId);
  const version = Date.now() + (input.mode === 'reprice' ? REPRICE_VERSION_OFFSET : 0);
  const batchSize = deps.batchRows ?? ETL_BATCH_ROWS;
  const scope = `etl:${input.source}:${input.mode}:${input.appId}`;

  // One insert in flight while the cursor reads the next batch (MongoDB and ClickHouse work side
  // by side); commits still complete, and are heartbeated, one after another in order.
  let inflight: Promise<void> = Promise.resolve();
  const commit = async (rows: number, insert: () => Promise<void>, last: { ts: string; id: string }, span?: [number, number]) => {
    await inflight;
    inflight = (async () => {
      await insert();
      // Before the batch counts as committed: a retry after a failed mark writes both again.
      if (span && rows > 0) await markHoursWritten(deps.clickhouse, span[0], span[1]);
      progress.after_ts = last.ts;
      progress.after_id = last.id;
      progress.rows += rows;
      progress.batches += 1;
      ctx?.heartbeat({ ...progress });
    })();
    inflight.catch(() => undefined); // surfaced by the next await
  };

  if (input.source === 'usage') {
    const from = previous ? new Date(previous.after_ts) : new Date(input.from);
    const toRow = usageRowMapper({ pseudonymize: deps.pseudonymize, book: deps.priceBook, reprice: input.mode === 'reprice' });
    // Each event becomes its ClickHouse line (its values, in column order) as it arrives: a batch
    // holds strings, not documents.
    const toLine = (doc: UsageEventDoc): UsageLine => {
      const fresh = !previous || after(doc.ts.toISOString(), doc.event_id, previous);
      const row = fresh ? toRow(doc) : undefined;
      return { ts: doc.ts.getTime(), id: doc.event_id, line: row && usageValuesLine(row) };
    };
    await collections.usageEvents.forEachBatch<UsageEventDoc, UsageLine>(
      { ts: { $gte: from, $lt: new Date(input.to) } },
      { sort: { ts: 1, event_id: 1 }, projection: { _id: 0 }, batchSize, map: toLine },
      async (items) => {
        const lines: string[] = [];
        let first: number | undefined;
        for (const item of items) {
          if (item.line === undefined) continue;
          lines.push(item.line);
          first ??= item.ts;
        }
        const last = items[items.length - 1];
        if (!last) return;
        const span: [number, number] = [first ?? 0, last.ts]; // sorted by ts
        const insert = () => insertValueLines(deps.clickhouse, 'usage_events', scope, USAGE_ROW_COLUMNS, lines, version);
        await commit(lines.length, insert, { ts: new Date(last.ts).toISOString(), id: last.id }, span);
      },
    );
  } else {
    const from = progress.after_ts || new Date(input.from).toISOString();
    await collections.auditEvents.forEachBatch<AuditEventDoc>(
      { ts: { $gte: from, $lt: new Date(input.to).toISOString() } },
      { sort: { ts: 1, event_id: 1 }, projection: { _id: 0 }, batchSize },
      async (docs) => {
        const fresh = progress.after_ts ? docs.filter((doc) => after(doc.ts, doc.event_id, progress)) : docs;
        const last = docs[docs.length - 1];
        if (!last) return;
        const rows = fresh.map((doc) => ({
          event_id: doc.event_id,
          app_id: doc.app_id,
          ts: chDateTime(doc.ts),
          seq: doc.seq,
          actor_pseudonym: deps.pseudonymize(doc.app_id, doc.actor.actor_id),
          actor_via: doc.actor.via ?? '',
          actor_roles: doc.actor.roles,
          action: doc.action,
          resource_type: doc.resource.type,
          resource_id: doc.resource.id,
          outcome: doc.outcome,
          hash: doc.hash,
          prev_hash: doc.prev_hash,
        }));
        await commit(rows.length, () => insertBatch(deps.clickhouse, 'audit_events', scope, rows, version), { ts: last.ts, id: last.event_id });
      },
    );
  }
  await inflight;
  return { rows: progress.rows, batches: progress.batches, resumed: previous !== undefined };
}

/** One usage event read for the window: its ClickHouse line, or none when an earlier attempt committed it. */
interface UsageLine {
  ts: number;
  id: string;
  line: string | undefined;
}

/** Whether `(ts, id)` comes after the last committed event (ISO strings sort like instants). */
function after(ts: string, id: string, progress: Pick<EtlProgress, 'after_ts' | 'after_id'>): boolean {
  return ts > progress.after_ts || (ts === progress.after_ts && id > progress.after_id);
}

/** Apps to visit for a window: every registered app and the system app. */
export async function listEtlApps(deps: AnalyticsDeps): Promise<string[]> {
  return [...(await listApps(deps.mongo)).map((app) => app.app_id), SYSTEM_APP_ID];
}
