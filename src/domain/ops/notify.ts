/**
 * Notifications of the ops autopilot (issue 20), the pure parts: the incident events that notify
 * (one per state change, never one per alert), the routing policy (which rules, severities and
 * events go to which channels, per app over a default), the channel shapes, and the ids that make a
 * notification idempotent end to end (the delivery record, the delivery workflow, `webhook-id`, the
 * e-mail Message-ID).
 */
import { z } from 'zod';

/** The rules a route may name: the ops rules, and `spend` for budget thresholds. policy.ts, which
 * imports this module (never the other way round), checks that its `RULES` are all here. */
export const ROUTE_RULES = ['noisy_tenant', 'error_spike', 'burn_spike', 'budget', 'spend'] as const;
export type NotifyRouteRule = (typeof ROUTE_RULES)[number];

/** The state changes that notify. `spend` is a budget threshold crossed (no incident). */
export const NOTIFY_EVENTS = [
  'opened',
  'approval_requested',
  'approval_escalated',
  'approval_timed_out',
  'action_applied',
  'escalated',
  'reverted',
  'resolved',
  'spend',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Events that want a decision: their messages carry approve and reject links. */
export const DECISION_EVENTS: readonly NotifyEvent[] = ['approval_requested', 'approval_escalated'];

export const SEVERITIES = ['warn', 'act'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The built-in channel: a structured log line (always there, needs no configuration). */
export const LOG_CHANNEL = 'log';
export const channelNameSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/, 'must be 1-64 lowercase letters, digits, _ or - (not first or last)')
  .describe('The channel name routes refer to (`log` is the built-in log channel)');

const channelList = z.array(channelNameSchema).max(20);

export const notifyRouteSchema = z.strictObject({
  rules: z.array(z.enum(ROUTE_RULES)).max(10).default([]).describe('Rules this route takes (empty: every rule; `spend`: budget thresholds)'),
  severities: z.array(z.enum(SEVERITIES)).max(2).default([]).describe('Severities this route takes (empty: both)'),
  events: z.array(z.enum(NOTIFY_EVENTS)).max(NOTIFY_EVENTS.length).default([]).describe('Incident events this route takes (empty: all)'),
  channels: channelList.min(1).describe('Channels notified, in order'),
});
export type NotifyRoute = z.infer<typeof notifyRouteSchema>;

export const notificationPolicySchema = z.strictObject({
  routes: z.array(notifyRouteSchema).max(50).describe('Every matching route is used (channels deduplicated); none matching: `default_channels`'),
  default_channels: channelList.describe('Channels of a notification no route takes'),
  escalation_channels: channelList.describe('Notified when an approval still waits after `escalate_after_seconds`'),
  escalate_after_seconds: z
    .number().int().min(1).max(7 * 86_400).nullable()
    .describe('An approval still waiting this long escalates to `escalation_channels` (a durable timer); null: never'),
  spend_thresholds: z
    .array(z.number().gt(0).max(10))
    .max(10)
    .describe('Shares of the monthly budget that notify, once per month each (0.5 = 50 %)'),
  link_ttl_seconds: z.number().int().min(60).max(7 * 86_400).describe('Longest life of an approve/reject link (never past the approval deadline)'),
});
export type NotificationPolicy = z.infer<typeof notificationPolicySchema>;

export const DEFAULT_NOTIFICATION_POLICY: NotificationPolicy = {
  routes: [],
  default_channels: [LOG_CHANNEL],
  escalation_channels: [],
  escalate_after_seconds: null,
  spend_thresholds: [0.5, 0.8, 1],
  link_ttl_seconds: 86_400,
};

/** The channels a notification goes to: every matching route's, else the default ones. */
export function routeNotification(
  policy: NotificationPolicy,
  what: { rule: NotifyRouteRule; severity?: Severity; event: NotifyEvent; escalation?: boolean },
): string[] {
  if (what.escalation) return unique(policy.escalation_channels);
  const matching = policy.routes.filter(
    (route) =>
      (route.rules.length === 0 || route.rules.includes(what.rule)) &&
      (route.severities.length === 0 || what.severity === undefined || route.severities.includes(what.severity)) &&
      (route.events.length === 0 || route.events.includes(what.event)),
  );
  return unique(matching.length > 0 ? matching.flatMap((route) => route.channels) : policy.default_channels);
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** The notification id of an incident event (stable across retries and replicas). */
export function incidentNotificationId(incidentId: string, event: NotifyEvent, seq?: number | string): string {
  return `${incidentId}:${event}${seq === undefined ? '' : `:${seq}`}`;
}

/** The notification id of a spend threshold, once per app, month (`yyyy-mm`) and threshold. */
export function spendNotificationId(appId: string, month: string, threshold: number): string {
  return `spend:${appId}:${month}:${Math.round(threshold * 100)}`;
}

/** The thresholds a month's spend has reached (ascending). */
export function crossedThresholds(spentNanos: number, budgetNanos: number | null, thresholds: readonly number[]): number[] {
  if (budgetNanos === null) return [];
  const used = budgetNanos === 0 ? (spentNanos > 0 ? Infinity : 0) : spentNanos / budgetNanos;
  return [...new Set(thresholds)].filter((threshold) => used >= threshold).sort((a, b) => a - b);
}

export const CHANNEL_TYPES = ['webhook', 'slack', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A channel as stored, its secret encrypted (`secret_enc`), never returned by a read. */
export interface ChannelDoc {
  app_id: string;
  name: string;
  type: ChannelType;
  enabled: boolean;
  /** webhook, slack: the receiver. */
  url?: string;
  allow_private_addresses?: boolean;
  /** email: the SMTP server, sender and recipients. */
  smtp?: { host: string; port: number; secure: boolean; user?: string; require_tls: boolean; reject_unauthorized: boolean };
  from?: string;
  to?: string[];
  /** AES-256-GCM of the webhook secret or SMTP password (src/domain/ops/notify-crypto.ts). */
  secret_enc?: string;
  updated_at: Date;
  updated_by: string;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'retrying', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One notification on one channel (`notifications`, unique per app, notification and channel). */
export interface NotificationDoc {
  app_id: string;
  notification_id: string;
  channel: string;
  channel_type: ChannelType | 'log';
  event: NotifyEvent;
  incident_id?: string;
  rule: NotifyRouteRule;
  summary: string;
  status: DeliveryStatus;
  attempts: number;
  last_error?: string;
  created_at: Date;
  updated_at: Date;
  delivered_at?: Date;
}
