/**
 * Notifications: routing a notice to its channels, and delivering it on each.
 *
 * `dispatch` (used by the incident, action and monitor activities) reads the app's notification
 * policy, writes the log channel's line at once, records one pending delivery per configured
 * channel and starts the `notificationDelivery` workflow (`notify:{app}:{notification id}`, a
 * duplicate id refused), which delivers on each channel with retries and backoff and records a
 * channel that never succeeded as failed. The playbook only waits for that start: a failing channel
 * never blocks or fails it. Every id is the notification id, so a retried dispatch or a second
 * replica changes nothing, and each receiver can dedup (`webhook-id`, the e-mail's Message-ID).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import {
  DECISION_EVENTS,
  LOG_CHANNEL,
  NOTIFY_EVENTS,
  routeNotification,
  type ChannelDoc,
  type IncidentDoc,
  type NotifyEvent,
  type RuleName,
  type Severity,
} from '../../domain/ops';
import { Incidents } from '../../stores/incidents';
import { NotifyChannels, Notifications } from '../../stores/notifications';
import { OpsPolicies } from '../../stores/ops-policies';
import { notificationWorkflowId, type NotificationDeliveryInput, type NotificationDeliveryWorkflow } from '../../workflows/ops-contract';
import { ChannelError, emailNotifier, slackNotifier, webhookNotifier } from './channels';
import type { OpsActivityDeps } from './context';
import type { Notifier, OpsNotice } from './effects';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface DispatchRequest {
  appId: string;
  /** The incident (empty for a spend alert). */
  incidentId: string;
  rule: RuleName | 'spend';
  event: NotifyEvent;
  summary: string;
  notificationId: string;
  severity?: Severity;
  /** Route to the escalation channels instead of the event's routes. */
  escalation?: boolean;
}

export interface Dispatcher {
  dispatch(request: DispatchRequest): Promise<{ channels: string[] }>;
}

export function createDispatcher(deps: OpsActivityDeps): Dispatcher {
  const channels = new NotifyChannels(deps.mongo);
  const records = new Notifications(deps.mongo, deps.redis);
  const policies = new OpsPolicies(deps.mongo, deps.redis);
  const incidents = new Incidents(deps.mongo, deps.redis);
  const now = deps.now ?? (() => new Date());

  return {
    async dispatch(request) {
      const [policy, incident] = await Promise.all([
        policies.effective(request.appId),
        request.incidentId ? incidents.get(request.appId, request.incidentId) : Promise.resolve(null),
      ]);
      const severity = request.severity ?? (incident?.finding.severity as Severity | undefined);
      const names = routeNotification(policy.notifications, { rule: request.rule, event: request.event, ...(severity ? { severity } : {}), ...(request.escalation ? { escalation: true } : {}) });
      const notice: NotificationDeliveryInput['notice'] = {
        app_id: request.appId,
        incident_id: request.incidentId,
        rule: request.rule,
        kind: request.event,
        summary: request.summary,
        notification_id: request.notificationId,
        ...(severity ? { severity } : {}),
        ...(DECISION_EVENTS.includes(request.event) && incident ? { decision_wanted: decisionWanted(incident) } : {}),
      };
      const at = now();
      const base = {
        app_id: request.appId,
        notification_id: request.notificationId,
        event: request.event,
        rule: request.rule,
        summary: request.summary,
        created_at: at,
        ...(request.incidentId ? { incident_id: request.incidentId } : {}),
      };
      const deliver: string[] = [];
      for (const name of names) {
        if (name === LOG_CHANNEL) {
          await deps.notifier.notify(notice);
          await records.open({ ...base, channel: LOG_CHANNEL, channel_type: 'log' });
          await records.attempt(request.appId, request.notificationId, LOG_CHANNEL, { status: 'delivered', attempts: 1 }, at);
          continue;
        }
        const channel = await channels.get(name);
        await records.open({ ...base, channel: name, channel_type: channel?.type ?? 'webhook' });
        if (!channel?.enabled) {
          await records.attempt(request.appId, request.notificationId, name, { status: 'failed', attempts: 0, error: channel ? `channel '${name}' is disabled` : `no channel named '${name}'` }, at);
          continue;
        }
        deliver.push(name);
      }
      if (deliver.length > 0) {
        try {
          await deps.temporal.workflow.start<NotificationDeliveryWorkflow>('notificationDelivery', {
            workflowId: notificationWorkflowId(request.appId, request.notificationId),
            taskQueue: deps.taskQueue,
            args: [{ appId: request.appId, notificationId: request.notificationId, channels: deliver, notice }],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
      }
      return { channels: names };
    },
  };
}

function decisionWanted(incident: IncidentDoc): string {
  const deadline = approvalDeadline(incident);
  return `approve ${incident.plan.action} for ${incident.plan.ttl_seconds}s, or reject it` +
    (deadline ? `; with no answer by ${deadline.toISOString()}, ${incident.plan.fallback_action} is applied` : '');
}

/** When the incident's approval stops waiting: its proposal plus the approval timeout. */
export function approvalDeadline(incident: IncidentDoc): Date | undefined {
  const proposed = incident.steps.find((step) => step.kind === 'proposed');
  const from = proposed ? Date.parse(proposed.at) : incident.opened_at.getTime();
  return Number.isFinite(from) ? new Date(from + incident.plan.approval_timeout_seconds * 1000) : undefined;
}

/** Removes the channel's secrets from a message (an error text may quote a URL or a login). */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return out.slice(0, 1000);
}

export interface DeliverInput {
  appId: string;
  notificationId: string;
  channel: string;
  notice: NotificationDeliveryInput['notice'];
}

export function notifyActivities(deps: OpsActivityDeps) {
  const channels = new NotifyChannels(deps.mongo);
  const records = new Notifications(deps.mongo, deps.redis);
  const incidents = new Incidents(deps.mongo, deps.redis);
  const now = deps.now ?? (() => new Date());
  const clock = { now, timeoutMs: deps.notify?.timeoutMs ?? DEFAULT_TIMEOUT_MS };

  function secretOf(channel: ChannelDoc): string | undefined {
    if (!channel.secret_enc) return undefined;
    if (!deps.notify?.keys) {
      throw ApplicationFailure.create({ type: 'notify_key_unset', nonRetryable: true, message: `channel '${channel.name}' has a secret but TESSERA_NOTIFY_KEY is not set` });
    }
    try {
      return deps.notify.keys.decrypt(channel.secret_enc);
    } catch {
      // Sealed with another key (TESSERA_NOTIFY_KEY changed): no retry can read it; set the secret again.
      throw ApplicationFailure.create({ type: 'notify_secret_unreadable', nonRetryable: true, message: `channel '${channel.name}': its secret was sealed with another TESSERA_NOTIFY_KEY; set the channel again` });
    }
  }

  function notifierOf(channel: ChannelDoc, secret: string | undefined): Notifier {
    switch (channel.type) {
      case 'webhook':
        return webhookNotifier({ url: channel.url ?? '', secret: secret ?? '', allowPrivate: channel.allow_private_addresses === true }, clock);
      case 'slack':
        return slackNotifier({ url: channel.url ?? '', allowPrivate: channel.allow_private_addresses === true }, clock);
      case 'email': {
        const smtp = channel.smtp!;
        return emailNotifier({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          requireTls: smtp.require_tls,
          rejectUnauthorized: smtp.reject_unauthorized,
          ...(smtp.user ? { user: smtp.user } : {}),
          ...(secret ? { password: secret } : {}),
          from: channel.from ?? '',
          to: channel.to ?? [],
        }, clock);
      }
    }
  }

  /** Who a message on this channel reaches: the decider its links name. */
  function actorOf(channel: ChannelDoc): string {
    return channel.type === 'email' ? `email:${(channel.to ?? []).join(',')}` : `${channel.type}:${channel.name}`;
  }

  async function linksFor(input: DeliverInput, channel: ChannelDoc): Promise<OpsNotice['links']> {
    const keys = deps.notify?.keys;
    const base = deps.notify?.publicUrl?.replace(/\/$/, '');
    if (!keys || !base || !input.notice.incident_id) return undefined;
    const incident = await incidents.get(input.appId, input.notice.incident_id);
    if (!incident) return undefined;
    const ttl = (await new OpsPolicies(deps.mongo, deps.redis).effective(input.appId)).notifications.link_ttl_seconds;
    const deadline = approvalDeadline(incident)?.getTime() ?? Infinity;
    const exp = Math.floor(Math.min(now().getTime() + ttl * 1000, deadline) / 1000);
    const common = { app_id: input.appId, incident_id: incident.incident_id, link_id: `${input.notificationId}:${input.channel}`, actor: actorOf(channel), exp };
    const url = (decision: 'approve' | 'reject') => `${base}/v1/ops/decisions?token=${keys.signLink({ ...common, decision })}`;
    return { approve: url('approve'), reject: url('reject') };
  }

  return {
    /** Delivers one notification on one channel; idempotent on (notification id, channel). */
    async deliverNotification(input: DeliverInput): Promise<{ status: 'delivered' | 'already_delivered' }> {
      const previous = await records.get(input.appId, input.notificationId, input.channel);
      if (previous?.status === 'delivered') return { status: 'already_delivered' };
      const attempt = Context.current().info.attempt;
      const channel = await channels.get(input.channel);
      if (!channel?.enabled) {
        const message = channel ? `channel '${input.channel}' is disabled` : `no channel named '${input.channel}'`;
        await records.attempt(input.appId, input.notificationId, input.channel, { status: 'failed', attempts: attempt, error: message }, now());
        throw ApplicationFailure.create({ type: 'notify_channel_missing', nonRetryable: true, message });
      }
      let secret: string | undefined;
      try {
        secret = secretOf(channel);
      } catch (error) {
        await records.attempt(input.appId, input.notificationId, input.channel, { status: 'failed', attempts: attempt, error: (error as Error).message }, now());
        throw error;
      }
      const notice: OpsNotice = { ...input.notice };
      if (DECISION_EVENTS.includes(input.notice.kind as NotifyEvent)) {
        const links = await linksFor(input, channel);
        if (links) notice.links = links;
      }
      try {
        await notifierOf(channel, secret).notify(notice);
      } catch (error) {
        const permanent = error instanceof ChannelError && error.permanent;
        const message = redactSecrets(error instanceof Error ? error.message : String(error), [secret, channel.smtp?.user]);
        await records.attempt(input.appId, input.notificationId, input.channel, { status: permanent ? 'failed' : 'retrying', attempts: attempt, error: message }, now());
        throw ApplicationFailure.create({ type: permanent ? 'notification_refused' : 'notification_failed', nonRetryable: permanent, message });
      }
      await records.attempt(input.appId, input.notificationId, input.channel, { status: 'delivered', attempts: attempt }, now());
      return { status: 'delivered' };
    },

    /** A channel whose retries ran out (or that refused for good): recorded as failed. */
    async recordNotificationFailure(input: { appId: string; notificationId: string; channel: string; error: string }): Promise<void> {
      await records.attempt(input.appId, input.notificationId, input.channel, { status: 'failed', attempts: 0, error: input.error.slice(0, 1000) }, now());
    },
  };
}

/** An incident notice's kind as a notify event (`action` was the notify action's kind). */
export function eventOf(kind: string): NotifyEvent {
  if (kind === 'action') return 'action_applied';
  return (NOTIFY_EVENTS as readonly string[]).includes(kind) ? (kind as NotifyEvent) : 'opened';
}
