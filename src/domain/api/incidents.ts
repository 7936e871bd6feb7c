/**
 * HTTP shapes of the incident routes (`/v1/ops/incidents…`): the paged list, one incident with its
 * timeline, and the approve/reject decision. The timeline merges what the incident document
 * records (detection, proposal, decisions with who and why, actions, reverts, the close) with the
 * notifications its state changes sent, in time order. Pure: no I/O.
 */
import { z } from 'zod';
import { appIdSchema } from '../apps';
import { INCIDENT_STATUSES, NOTIFY_EVENTS, RULES, DELIVERY_STATUSES, type IncidentStep, type NotificationDoc } from '../ops';
import { storableText } from '../text/storable';
import { decodeCursor, encodeCursor } from './list-cursor';
import { incidentView } from './ops';

export const INCIDENT_PAGE_MAX = 200;

export const incidentQuery = z.strictObject({
  app_id: appIdSchema.optional().describe('Admin: one app (default: all); an app key sees only its own'),
  status: z.enum(INCIDENT_STATUSES).optional(),
  rule: z.enum(RULES).optional(),
  limit: z.coerce.number().int().min(1).max(INCIDENT_PAGE_MAX).default(50).describe(`Incidents per page (at most ${INCIDENT_PAGE_MAX})`),
  cursor: z.string().min(1).max(512).optional().describe('Opaque: the previous page `next_cursor`, with the same filters'),
});

export const incidentList = z.object({
  incidents: z.array(incidentView),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
});

export const incidentParams = z.strictObject({
  id: z.string().regex(/^incident:[a-z0-9-]+:[a-z_]+:[A-Za-z0-9-]+$/, 'an incident id as listed').describe('The incident id'),
});

/** The app an incident id names (`incident:{app_id}:{rule}:{run}`). */
export const appOfIncident = (incidentId: string): string => incidentId.split(':')[1] ?? '';

const reasonText = storableText().trim().min(1).max(2000);

export const decisionBody = z
  .strictObject({
    reason: reasonText.optional().describe('Why: recorded with the decision in the incident timeline and the audit log'),
    note: reasonText.optional().describe('The former name of `reason` (used when `reason` is absent)'),
  })
  .nullish();

export const decisionView = z.object({
  incident_id: z.string(),
  signalled: z.enum(['approve', 'reject']),
  reason: z.string().optional(),
});

export const timelineEntry = z.object({
  at: z.iso.datetime(),
  source: z.enum(['incident', 'notification']),
  kind: z.string().describe('A step kind (opened, proposed, approved, rejected, applied, …) or a notification event'),
  action: z.string().optional().describe('The ops action a step proposed, applied or reverted'),
  actor: z.string().optional().describe('Who decided (approved or rejected steps)'),
  detail: z.string().optional().describe('What happened; on a decision, the reason given'),
  channel: z.string().optional().describe('Notifications: the channel'),
  delivery: z.enum(DELIVERY_STATUSES).optional().describe('Notifications: the delivery status'),
});
export type TimelineEntry = z.infer<typeof timelineEntry>;

export const incidentDetail = z.object({
  incident: incidentView,
  timeline: z.array(timelineEntry).describe('Oldest first'),
});

/** Steps and notifications in time order (steps first at the same instant: they cause the notices). */
export function incidentTimeline(steps: readonly IncidentStep[], notifications: readonly NotificationDoc[]): TimelineEntry[] {
  const entries: (TimelineEntry & { order: number })[] = [
    ...steps.map((step, index) => ({
      at: new Date(step.at).toISOString(),
      source: 'incident' as const,
      kind: step.kind,
      ...(step.action ? { action: step.action } : {}),
      ...(step.actor ? { actor: step.actor } : {}),
      ...(step.detail ? { detail: step.detail } : {}),
      order: index,
    })),
    ...notifications.map((doc, index) => ({
      at: doc.created_at.toISOString(),
      source: 'notification' as const,
      kind: NOTIFY_EVENTS.includes(doc.event) ? doc.event : 'notified',
      detail: doc.summary,
      channel: doc.channel,
      delivery: doc.status,
      order: steps.length + index,
    })),
  ];
  entries.sort((a, b) => a.at.localeCompare(b.at) || a.order - b.order);
  return entries.map(({ order: _order, ...entry }) => entry);
}

export interface IncidentPosition {
  opened_at: string;
  incident_id: string;
}

export function encodeIncidentCursor(position: IncidentPosition): string {
  return encodeCursor(position.opened_at, position.incident_id);
}

/** The position a cursor names, or undefined when it is not one this API issued. */
export function decodeIncidentCursor(cursor: string): IncidentPosition | undefined {
  const decoded = decodeCursor(cursor);
  if (!decoded || typeof decoded.key !== 'string' || !incidentParams.shape.id.safeParse(decoded.key).success) return undefined;
  return { opened_at: decoded.at, incident_id: decoded.key };
}
