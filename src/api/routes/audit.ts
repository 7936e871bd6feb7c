/**
 * The audit log (DESIGN §5): `GET /v1/audit` reads an app's entries newest first, filtered and in
 * cursor pages that stay stable while entries are appended; `GET /v1/audit/verify` walks the app's
 * hash chain in order and names the first entry whose hash or link does not hold. An app key reads
 * its own app; the admin names the app (`app_id`). Another app named with an app key is refused as
 * not found (and the attempt audited in the caller's own chain), as everywhere in the API.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import {
  auditListQuery,
  auditPageView,
  auditVerifyQuery,
  auditVerifyView,
  decodeAuditCursor,
  encodeAuditCursor,
  SYSTEM_AUDIT_APP,
} from '../../domain/api/audit';
import { errorResponses } from '../../domain/api/errors';
import type { ChainedAuditEvent } from '../../domain/audit';
import { callerOf, guard, refuse } from '../auth/guard';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['audit'];

export function auditRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const readers = guard(runtime, ['app', 'admin']);
  const responses = errorResponses(400, 401, 403, 404);

  app.get('/v1/audit', {
    onRequest: readers,
    schema: {
      tags,
      summary: "An app's audit log, newest first, filtered, in stable cursor pages",
      querystring: auditListQuery,
      response: { 200: auditPageView, ...responses },
    },
  }, async (request) => {
    const q = request.query;
    const appId = await auditedApp(runtime, request, q.app_id);
    let after;
    if (q.cursor !== undefined) {
      after = decodeAuditCursor(q.cursor);
      if (!after) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API issued (pass a page `next_cursor` as it is)');
    }
    const page = await runtime.audit.queryAppEvents(
      appId,
      {
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.resource_type !== undefined ? { resourceType: q.resource_type } : {}),
        ...(q.resource_id !== undefined ? { resourceId: q.resource_id } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
      },
      { limit: q.limit, ...(after ? { after } : {}) },
    );
    return { app_id: appId, entries: page.entries.map(entryView), next_cursor: page.next ? encodeAuditCursor(page.next) : null };
  });

  app.get('/v1/audit/verify', {
    onRequest: readers,
    schema: {
      tags,
      summary: "Verify the app's audit hash chain, entry by entry in chain order",
      querystring: auditVerifyQuery,
      response: { 200: auditVerifyView, ...responses },
    },
  }, async (request) => {
    const appId = await auditedApp(runtime, request, request.query.app_id);
    const result = await runtime.audit.verifyAppAuditChain(appId);
    return result.valid
      ? { app_id: appId, ok: true, checked: result.count }
      : { app_id: appId, ok: false, checked: result.count, first_broken: result.firstBroken };
  });
}

/** The app whose log the caller reads: an app key's own (naming another is refused as not found);
 * the admin's named one, which must exist (or be the `_system` chain). */
async function auditedApp(runtime: ApiRuntime, request: FastifyRequest, named: string | undefined): Promise<string> {
  const caller = callerOf(request);
  if (caller.kind === 'admin') {
    if (named === undefined) throw new HttpError(400, 'invalid_request', 'app_id is required with the admin key');
    if (named !== SYSTEM_AUDIT_APP && !(await runtime.apps.get(named))) throw new HttpError(404, 'not_found', `app '${named}' not found`);
    return named;
  }
  if (caller.kind !== 'app') throw new HttpError(403, 'forbidden', 'the audit log is read with an app key or the admin key');
  if (named !== undefined && named !== caller.appId) await refuse(runtime, request, { type: 'app', id: named }, 'audit log of another app');
  return caller.appId;
}

/** The stored entry as the API shows it: the hashed fields, its seq and its links, nothing else. */
function entryView(event: ChainedAuditEvent): z.infer<typeof auditPageView>['entries'][number] {
  return {
    seq: event.seq,
    event_id: event.event_id,
    app_id: event.app_id,
    ts: event.ts,
    actor: event.actor,
    action: event.action,
    resource: event.resource,
    outcome: event.outcome,
    ...(event.details !== undefined && event.details !== null ? { details: event.details } : {}),
    prev_hash: event.prev_hash,
    hash: event.hash,
  };
}
