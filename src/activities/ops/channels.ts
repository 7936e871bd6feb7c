/**
 * The notification channels, each a `Notifier`:
 * - signed webhook (Standard Webhooks, the packs' signer: `webhook-id` is the notification id,
 *   stable across retries, so a receiver dedups; JSON body with the incident, app, rule, the
 *   decision wanted and links);
 * - Slack-compatible incoming webhook (a Block Kit message: what happened, the summary, the
 *   decision wanted, approve and reject buttons), sent the same way (pinned, checked address);
 * - e-mail over SMTP (nodemailer), plain-text and HTML parts, Message-ID from the notification id.
 * A receiver's refusal is a `ChannelError` that says whether trying again can help.
 */
import nodemailer from 'nodemailer';
import { postWebhook, WebhookRefused } from '../packs/webhook';
import type { Notifier, OpsNotice } from './effects';

export class ChannelError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

const TITLES: Record<string, string> = {
  opened: 'Incident opened',
  approval_requested: 'Approval wanted',
  approval_escalated: 'Approval still wanted (escalated)',
  approval_timed_out: 'Approval timed out',
  action_applied: 'Action applied',
  action: 'Action applied',
  escalated: 'Incident escalated',
  reverted: 'Actions reverted',
  resolved: 'Incident resolved',
  spend: 'Spend alert',
};

export function noticeTitle(notice: OpsNotice): string {
  const title = `[${notice.app_id}] ${TITLES[notice.kind] ?? notice.kind}`;
  return notice.rule === 'spend' ? title : `${title}: ${notice.rule}`;
}

/** The JSON document a webhook receives. */
export function webhookBody(notice: OpsNotice, at: Date): string {
  return JSON.stringify({
    type: `ops.${notice.kind}`,
    timestamp: at.toISOString(),
    data: {
      notification_id: notice.notification_id,
      event: notice.kind,
      app_id: notice.app_id,
      incident_id: notice.incident_id,
      rule: notice.rule,
      ...(notice.severity ? { severity: notice.severity } : {}),
      summary: notice.summary,
      decision_wanted: notice.decision_wanted ?? null,
      links: notice.links ?? {},
    },
  });
}

function statusError(status: number): ChannelError {
  // 408 and 429 and every 5xx may pass; any other 4xx will answer the same next time.
  const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
  return new ChannelError(`receiver answered ${status}`, permanent);
}

async function post(target: { url: string; secret: string; allowPrivate: boolean }, id: string, body: string, at: Date, timeoutMs: number): Promise<void> {
  let response;
  try {
    response = await postWebhook(target, { id, timestamp: Math.floor(at.getTime() / 1000), body }, timeoutMs);
  } catch (error) {
    if (error instanceof WebhookRefused) throw new ChannelError(error.message, true);
    throw error;
  }
  if (response.status < 200 || response.status >= 300) throw statusError(response.status);
}

export interface ChannelClock {
  now(): Date;
  timeoutMs: number;
}

export function webhookNotifier(target: { url: string; secret: string; allowPrivate: boolean }, clock: ChannelClock): Notifier {
  return {
    async notify(notice) {
      const at = clock.now();
      await post(target, notice.notification_id ?? notice.incident_id, webhookBody(notice, at), at, clock.timeoutMs);
    },
  };
}

/** The Block Kit message of a notice. */
export function slackMessage(notice: OpsNotice): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: noticeTitle(notice).slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(notice.summary).slice(0, 2900) } },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `*App* ${escapeMrkdwn(notice.app_id)}  *Rule* ${escapeMrkdwn(notice.rule)}${notice.severity ? `  *Severity* ${notice.severity}` : ''}` },
        { type: 'mrkdwn', text: `*Incident* ${escapeMrkdwn(notice.incident_id)}` },
      ],
    },
  ];
  if (notice.decision_wanted) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Decision wanted:* ${escapeMrkdwn(notice.decision_wanted)}` } });
  const buttons: Record<string, unknown>[] = [];
  if (notice.links?.approve) buttons.push({ type: 'button', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, url: notice.links.approve, action_id: 'approve' });
  if (notice.links?.reject) buttons.push({ type: 'button', style: 'danger', text: { type: 'plain_text', text: 'Reject' }, url: notice.links.reject, action_id: 'reject' });
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  return { text: `${noticeTitle(notice)} — ${notice.summary}`.slice(0, 3000), blocks };
}

function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackNotifier(target: { url: string; allowPrivate: boolean }, clock: ChannelClock): Notifier {
  return {
    async notify(notice) {
      const at = clock.now();
      // Incoming webhooks are not signed; the Standard Webhooks headers still carry the id to dedup on.
      await post({ url: target.url, secret: '', allowPrivate: target.allowPrivate }, notice.notification_id ?? notice.incident_id, JSON.stringify(slackMessage(notice)), at, clock.timeoutMs);
    },
  };
}

export interface SmtpTarget {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  rejectUnauthorized: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
}

export function emailText(notice: OpsNotice): string {
  const lines = [noticeTitle(notice), '', notice.summary, '', `App: ${notice.app_id}`, `Rule: ${notice.rule}`, `Incident: ${notice.incident_id}`];
  if (notice.severity) lines.push(`Severity: ${notice.severity}`);
  if (notice.decision_wanted) lines.push('', `Decision wanted: ${notice.decision_wanted}`);
  if (notice.links?.approve) lines.push(`Approve: ${notice.links.approve}`);
  if (notice.links?.reject) lines.push(`Reject: ${notice.links.reject}`);
  lines.push('', `Notification ${notice.notification_id ?? ''}`);
  return `${lines.join('\n')}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function emailHtml(notice: OpsNotice): string {
  const row = (name: string, value: string) => `<tr><th align="left">${name}</th><td>${escapeHtml(value)}</td></tr>`;
  const links = [
    notice.links?.approve ? `<a href="${escapeHtml(notice.links.approve)}">Approve</a>` : '',
    notice.links?.reject ? `<a href="${escapeHtml(notice.links.reject)}">Reject</a>` : '',
  ].filter(Boolean).join(' &middot; ');
  return [
    '<!doctype html><html><body>',
    `<h2>${escapeHtml(noticeTitle(notice))}</h2>`,
    `<p>${escapeHtml(notice.summary)}</p>`,
    '<table>',
    row('App', notice.app_id),
    row('Rule', notice.rule),
    row('Incident', notice.incident_id),
    notice.severity ? row('Severity', notice.severity) : '',
    '</table>',
    notice.decision_wanted ? `<p><strong>Decision wanted:</strong> ${escapeHtml(notice.decision_wanted)}</p>` : '',
    links ? `<p>${links}</p>` : '',
    '</body></html>',
  ].join('\n');
}

export function emailNotifier(target: SmtpTarget, clock: ChannelClock): Notifier {
  return {
    async notify(notice) {
      const transport = nodemailer.createTransport({
        host: target.host,
        port: target.port,
        secure: target.secure,
        requireTLS: target.requireTls,
        ignoreTLS: !target.secure && !target.requireTls && !target.user,
        tls: { rejectUnauthorized: target.rejectUnauthorized },
        connectionTimeout: clock.timeoutMs,
        greetingTimeout: clock.timeoutMs,
        socketTimeout: clock.timeoutMs,
        ...(target.user ? { auth: { user: target.user, pass: target.password ?? '' } } : {}),
      });
      try {
        await transport.sendMail({
          from: target.from,
          to: target.to,
          subject: noticeTitle(notice),
          text: emailText(notice),
          html: emailHtml(notice),
          messageId: `<${(notice.notification_id ?? notice.incident_id).replace(/[^A-Za-z0-9._:-]/g, '_')}@tessera.notifications>`,
          headers: { 'X-Tessera-Notification-Id': notice.notification_id ?? '' },
          date: clock.now(),
        });
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        // 5xx SMTP replies (bad recipient, authentication refused) answer the same next time.
        throw new ChannelError(`smtp: ${(error as Error).message}`, typeof code === 'number' && code >= 500 && code < 600);
      } finally {
        transport.close();
      }
    },
  };
}
