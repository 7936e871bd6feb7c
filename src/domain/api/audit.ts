/**
 * HTTP shapes of the audit routes (`GET /v1/audit`, `GET /v1/audit/verify`), and the opaque page
 * cursor: the (ts, seq) position of the last entry a page returned, so the next page starts
 * strictly after it in the log's order (newest first) whatever was appended meanwhile.
 */
import { z } from 'zod';
import { appIdSchema } from '../apps';
import { AUDIT_ACTIONS } from '../audit/chain';
import { storableText } from '../text/storable';
import { decodeCursor, encodeCursor } from './list-cursor';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

/** The admin's refusals are audited in the `_system` chain, which the admin may read too. */
export const SYSTEM_AUDIT_APP = '_system';

const instant = z.iso.datetime({ offset: true });

const auditAppId = z
  .union([appIdSchema, z.literal(SYSTEM_AUDIT_APP)])
  .optional()
  .describe(`Required for the admin key (any app, or \`${SYSTEM_AUDIT_APP}\` for refusals of admin calls); an app key reads only its own app`);

const filterText = (max: number) => storableText().min(1).max(max);

export const auditListQuery = z
  .strictObject({
    app_id: auditAppId,
    from: instant.optional().describe('Only entries at or after this ISO 8601 instant (inclusive); must be before `to`'),
    to: instant.optional().describe('Only entries before this ISO 8601 instant (exclusive): after `from`, otherwise 400'),
    actor: filterText(200).optional().describe('Only entries of this actor (`actor.actor_id`)'),
    action: z.enum(AUDIT_ACTIONS).optional().describe('Only entries of this action'),
    resource_type: filterText(100).optional().describe('Only entries about this kind of resource (`resource.type`: app, chat, chat_message, incident, ...)'),
    resource_id: filterText(500).optional().describe('Only entries about this resource (`resource.id`)'),
    outcome: z.enum(['success', 'failure']).optional().describe('Only entries with this outcome'),
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT).describe(`Entries per page (at most ${AUDIT_PAGE_MAX})`),
    cursor: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe('Opaque: the previous page `next_cursor`, with the same filters. Pages are stable: an entry appended meanwhile never shifts or repeats one'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: '`from` must be before `to`',
    path: ['to'],
  });

export const auditVerifyQuery = z.strictObject({ app_id: auditAppId });

export const auditEntryView = z.object({
  seq: z.number().int().describe("Position in the app's hash chain, from 1"),
  event_id: z.string(),
  app_id: z.string(),
  ts: z.string().describe('ISO 8601 instant, as hashed'),
  actor: z.object({
    actor_id: z.string(),
    roles: z.array(z.string()),
    app_id: z.string(),
    email: z.string().optional(),
    tenant: z.string().optional(),
    via: z.string().optional().describe('admin_key, app_key, runtime_token, identity_provider or system'),
    request_id: z.string().optional(),
  }),
  action: z.string().describe(AUDIT_ACTIONS.join(', ')),
  resource: z.object({ type: z.string(), id: z.string() }),
  outcome: z.string().describe('success or failure'),
  details: z.record(z.string(), z.unknown()).optional().describe('Strings, numbers, booleans or null'),
  prev_hash: z.string().describe("The previous entry's hash (64 zeros before the first)"),
  hash: z.string().describe('sha256 of prev_hash, a newline and the canonical JSON of the entry and its seq'),
});

export const auditPageView = z.object({
  app_id: z.string(),
  entries: z.array(auditEntryView).describe('Newest first (by ts, then seq)'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
});

export const auditVerifyView = z.object({
  app_id: z.string(),
  ok: z.boolean().describe('Every entry links to the one before it and its hash matches its content'),
  checked: z.number().int().describe('Entries verified intact, in chain order (before the first broken one, if any)'),
  first_broken: z
    .object({
      seq: z.number().int(),
      event_id: z.string(),
      reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'seq_gap', 'app_mismatch']),
    })
    .optional()
    .describe('The first entry whose hash or link to its predecessor does not hold (absent when ok)'),
});

/** Where a page ended: the last entry's (ts, seq). */
export interface AuditPosition {
  ts: string;
  seq: number;
}

export function encodeAuditCursor(position: AuditPosition): string {
  return encodeCursor(position.ts, position.seq);
}

/** The position a cursor names, or undefined when it is not one this API issued. */
export function decodeAuditCursor(cursor: string): AuditPosition | undefined {
  const decoded = decodeCursor(cursor);
  if (!decoded || typeof decoded.key !== 'number' || !Number.isSafeInteger(decoded.key) || decoded.key < 1) return undefined;
  return { ts: decoded.at, seq: decoded.key };
}
