/**
 * Retention: an app's chat messages older than its tier allows are written to the archive sink as
 * gzip JSONL, read back and checked (count and digest), and only then deleted from MongoDB; each
 * archive file is audited in the app's chain. Batches are keyed by their content, so a retried
 * attempt rewrites the same archive object and deletes the same messages.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { retentionCutoff, dayWindow } from '../../domain/analytics';
import type { Tier } from '../../domain/apps';
import { AuditRepository } from '../../stores/audit-repository';
import { listApps } from '../../stores/app-directory';
import { ChatRepository } from '../../stores/chat-repository';
import type { ChatMessageDoc } from '../../stores/documents';
import { tenantCollections } from '../../stores/tenant-collection';
import type { AnalyticsDeps } from './deps';

export interface RetainAppInput {
  appId: string;
  tier: Tier;
  /** The day being closed (yyyy-mm-dd): the cutoff is its end minus the tier's retention. */
  day: string;
}

export interface RetainAppResult {
  archived: number;
  files: string[];
  cutoff: string;
}

const DEFAULT_ARCHIVE_BATCH = 5_000;

export async function listRetentionApps(deps: Pick<AnalyticsDeps, 'mongo'>): Promise<{ app_id: string; tier: Tier }[]> {
  return listApps(deps.mongo);
}

export async function retainApp(deps: AnalyticsDeps, input: RetainAppInput): Promise<RetainAppResult> {
  const cutoff = new Date(retentionCutoff(input.tier, dayWindow(input.day).to));
  const collections = tenantCollections(deps.mongo, input.appId);
  const { messages } = collections;
  const audit = new AuditRepository(deps.mongo);
  const batchSize = deps.archiveBatch ?? DEFAULT_ARCHIVE_BATCH;
  const files: string[] = [];
  let archived = 0;
  for (;;) {
    const batch = await messages.find<ChatMessageDoc>(
      { created_at: { $lt: cutoff } },
      { sort: { created_at: 1, message_id: 1 }, limit: batchSize, projection: { _id: 0 } },
    );
    if (batch.length === 0) break;
    const lines = batch.map((doc) => JSON.stringify(doc)).join('\n') + '\n';
    const digest = createHash('sha256').update(lines).digest('hex');
    const key = `chat-messages/${input.appId}/${input.day}/${digest.slice(0, 32)}.jsonl.gz`;
    await deps.archive.put(key, gzipSync(lines));
    const stored = await deps.archive.get(key);
    const check = stored ? gunzipSync(stored).toString('utf8') : '';
    if (createHash('sha256').update(check).digest('hex') !== digest || check.split('\n').length - 1 !== batch.length) {
      throw ApplicationFailure.create({
        type: 'archive_verification_failed',
        message: `archive ${key} in ${deps.archive.describe()} did not read back as written; nothing deleted`,
        nonRetryable: false,
      });
    }
    const deleted = await messages.deleteMany({ message_id: { $in: batch.map((doc) => doc.message_id) } });
    // Their copies in the chats' window documents go too.
    await new ChatRepository(collections).forgetInWindows(batch);
    await audit.appendAuditEvent({
      event_id: `audit:retention:${input.appId}:${digest.slice(0, 32)}`,
      app_id: input.appId,
      ts: new Date().toISOString(),
      actor: { actor_id: 'system:retention', roles: ['system'], app_id: input.appId, via: 'system' },
      action: 'delete',
      resource: { type: 'chat_messages', id: key },
      outcome: 'success',
      details: { archived: batch.length, deleted, cutoff: cutoff.toISOString(), tier: input.tier, sink: deps.archive.describe() },
    });
    archived += batch.length;
    files.push(key);
    try {
      Context.current().heartbeat({ archived });
    } catch {
      // outside an activity
    }
    if (batch.length < batchSize) break;
  }
  return { archived, files, cutoff: cutoff.toISOString() };
}
