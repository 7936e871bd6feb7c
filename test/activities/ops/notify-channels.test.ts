/**
 * Notification channels against real receivers on loopback (no mocks): an incident that wants
 * approval reaches a signed webhook (signature and body verified by a node:http receiver that fails
 * twice first — it still gets the notification exactly once, deduplicated by `webhook-id`), a
 * Slack-compatible receiver (Block Kit with approve and reject buttons) and a mailbox (smtp-server
 * with a login, read with mailparser: text and HTML parts, Message-ID from the notification id).
 * A receiver that refuses for good, or a channel whose secret no longer decrypts, is recorded as
 * failed at once and never holds up the playbook; a repeated dispatch sends nothing twice.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChannelDoc, Finding, NotificationDoc } from '../../../src/domain/ops';
import { NotifyKeys } from '../../../src/domain/ops/notify-crypto';
import { Notifications, NotifyChannels } from '../../../src/stores/notifications';
import { OpsPolicies } from '../../../src/stores/ops-policies';
import { workflowIds } from '../../../src/workflows/contract';
import { rejectSignal, remediationStatusQuery } from '../../../src/workflows/ops-contract';
import type { remediation } from '../../../src/workflows/remediation';
import { startHttpReceiver, startMailbox, type HttpReceiver, type Mailbox } from '../../support/notify-receivers';
import { createOpsKit, type OpsKit } from '../../support/ops-kit';
import { startTimeSkipping } from '../../support/temporal';
import { waitFor } from '../../support/wait-for';

const APP = 'ntfy';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const SMTP = { user: 'tessera', password: `smtp-${randomBytes(9).toString('hex')}` };
const keys = new NotifyKeys(randomBytes(32).toString('base64url'));

let env: TestWorkflowEnvironment;
let kit: OpsKit;
let hook: HttpReceiver;
let chat: HttpReceiver;
let refuser: HttpReceiver;
let mailbox: Mailbox;

async function channel(doc: Omit<ChannelDoc, 'app_id' | 'updated_at' | 'updated_by' | 'enabled'>): Promise<void> {
  await new NotifyChannels(kit.mongo).put({ app_id: '_system', enabled: true, updated_at: new Date(), updated_by: 'test', ...doc });
}

beforeAll(async () => {
  env = await startTimeSkipping();
  kit = await createOpsKit(env, 'notify-channels', { notify: { keys, publicUrl: 'http://tessera.test', timeoutMs: 3000 } });
  hook = await startHttpReceiver({ secret: SECRET, failFirst: 2 });
  chat = await startHttpReceiver();
  refuser = await startHttpReceiver({ secret: 'not-the-channel-secret-at-all' });
  mailbox = await startMailbox(SMTP);
  await channel({ name: 'hook', type: 'webhook', url: hook.url, allow_private_addresses: true, secret_enc: keys.encrypt(SECRET) });
  await channel({ name: 'chat', type: 'slack', url: chat.url, allow_private_addresses: true });
  await channel({
    name: 'mail',
    type: 'email',
    smtp: { host: '127.0.0.1', port: mailbox.port, secure: false, require_tls: false, reject_unauthorized: false, user: SMTP.user },
    from: 'Tessera <ops@tessera.test>',
    to: ['oncall@example.test'],
    secret_enc: keys.encrypt(SMTP.password),
  });
  // Refuses every delivery for good: it expects another secret, so every signature is bad (401).
  await channel({ name: 'refuser', type: 'webhook', url: refuser.url, allow_private_addresses: true, secret_enc: keys.encrypt('x'.repeat(20)) });
  // Its secret was sealed with another TESSERA_NOTIFY_KEY: unreadable, failed at once, nothing sent.
  await channel({ name: 'stale', type: 'webhook', url: refuser.url, allow_private_addresses: true, secret_enc: new NotifyKeys(randomBytes(32).toString('base64url')).encrypt('y'.repeat(20)) });
}, 120_000);

afterAll(async () => {
  await Promise.all([hook?.close(), chat?.close(), refuser?.close(), mailbox?.close()]);
  await kit?.close();
  await env?.teardown();
});


const finding: Finding = { rule: 'burn_spike', app_id: APP, severity: 'act', summary: `${APP} burns 9x its baseline`, evidence: { factor: 9 }, proposed_action: 'throttle' };

it('an incident that wants approval reaches the webhook, the Slack receiver and the mailbox, once each', async () => {
  await new OpsPolicies(kit.mongo, kit.redis).put(APP, {
    promotion_after_approvals: null,
    rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 60 } },
    notifications: { routes: [{ rules: ['burn_spike'], severities: [], events: [], channels: ['hook', 'chat', 'mail', 'refuser', 'stale'] }], default_channels: ['log'] },
  }, 'admin', new Date());
  await kit.withWorker(async () => {
    await kit.activities.raiseAlerts({ findings: [finding] });
    const handle = env.client.workflow.getHandle<typeof remediation>(workflowIds.incident(APP, 'burn_spike'));
    const incidentId = await waitFor('awaiting approval', async () => {
      const status = await handle.query(remediationStatusQuery);
      return status.status === 'awaiting_approval' ? status.incidentId : undefined;
    });
    const approvalId = `${incidentId}:approval_requested`;

    // The webhook: signed, failed twice, then accepted once.
    const signed = await waitFor('the webhook', () => hook.accepted.get(approvalId));
    expect(signed.signatureValid).toBe(true);
    expect(hook.requests.every((request) => request.signatureValid)).toBe(true);
    expect(hook.requests.filter((request) => request.id === approvalId).length).toBeGreaterThanOrEqual(1);
    expect(signed.body).toMatchObject({
      type: 'ops.approval_requested',
      data: {
        notification_id: approvalId,
        event: 'approval_requested',
        app_id: APP,
        incident_id: incidentId,
        rule: 'burn_spike',
        severity: 'act',
        decision_wanted: expect.stringMatching(/^approve throttle/),
        links: { approve: expect.stringMatching(/^http:\/\/tessera\.test\/v1\/ops\/decisions\?token=/), reject: expect.any(String) },
      },
    });
    expect(Math.abs(signed.timestamp * 1000 - Date.now())).toBeLessThan(60_000);

    // The Slack-compatible receiver: a Block Kit message with the decision and both buttons.
    const slack = (await waitFor('the Slack receiver', () => chat.accepted.get(approvalId))).body as { text: string; blocks: { type: string; elements?: { url?: string; action_id?: string }[] }[] };
    expect(slack.text).toContain('Approval wanted');
    expect(slack.blocks.map((block) => block.type)).toEqual(['header', 'section', 'context', 'section', 'actions']);
    expect(slack.blocks.at(-1)?.elements?.map((button) => [button.action_id, button.url?.startsWith('http://tessera.test/v1/ops/decisions?token=')])).toEqual([['approve', true], ['reject', true]]);

    // The mailbox: logged in with the decrypted password, text and HTML parts, the id as Message-ID.
    const mail = await waitFor('the mail', () => mailbox.messages.find((message) => message.messageId?.startsWith(`<${approvalId.replace(/[^A-Za-z0-9._:-]/g, '_')}@`)));
    expect(mailbox.logins).toContain(SMTP.user);
    expect(mail.subject).toBe(`[${APP}] Approval wanted: burn_spike`);
    expect(mail.text).toContain(finding.summary);
    expect(mail.text).toMatch(/Approve: http:\/\/tessera\.test\/v1\/ops\/decisions\?token=\S+/);
    expect(mail.html).toMatch(/<a href="http:\/\/tessera\.test\/v1\/ops\/decisions\?token=[^"]+">Approve<\/a>/);
    expect(mail.headers.get('x-tessera-notification-id')).toBe(approvalId);

    // The delivery record: every channel, with its attempts; the refusing one failed at once.
    const records = new Notifications(kit.mongo, kit.redis);
    const byChannel = await waitFor('the delivery record', async () => {
      const docs = (await records.list({ app_id: APP, limit: 100 })).filter((doc) => doc.notification_id === approvalId);
      const done = docs.length === 5 && docs.every((doc) => doc.status === 'delivered' || doc.status === 'failed');
      return done ? Object.fromEntries(docs.map((doc) => [doc.channel, doc])) as Record<string, NotificationDoc> : undefined;
    });
    expect(Object.keys(byChannel).sort()).toEqual(['chat', 'hook', 'mail', 'refuser', 'stale']);
    expect(byChannel.stale).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('sealed with another TESSERA_NOTIFY_KEY') });
    expect(byChannel.hook).toMatchObject({ status: 'delivered', attempts: 3, last_error: 'receiver answered 503' });
    expect(byChannel.chat).toMatchObject({ status: 'delivered', attempts: 1, channel_type: 'slack' });
    expect(byChannel.mail).toMatchObject({ status: 'delivered', channel_type: 'email' });
    expect(byChannel.refuser).toMatchObject({ status: 'failed', attempts: 1, last_error: 'receiver answered 401' });
    // Each notification: two refusals, then accepted once (the receiver keeps one per webhook-id).
    expect(hook.requests.filter((request) => request.id === approvalId)).toHaveLength(3);
    const opened = `${incidentId}:opened`;
    expect(hook.requests.filter((request) => request.id === opened)).toHaveLength(3);
    expect(hook.accepted.has(opened)).toBe(true);
    expect(await records.get(APP, opened, 'hook')).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(JSON.stringify(await records.list({ app_id: APP, limit: 100 }))).not.toContain(SMTP.password);

    // A repeated dispatch (a retried activity, a second replica) sends nothing again.
    const before = { hook: hook.requests.length, chat: chat.requests.length, mail: mailbox.messages.length };
    await kit.activities.notifyIncident({ appId: APP, incidentId, rule: 'burn_spike', kind: 'approval_requested', summary: 'again' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect({ hook: hook.requests.length, chat: chat.requests.length, mail: mailbox.messages.length }).toEqual(before);

    // The refusing channel held nothing up: the incident is decided and resolves, and says so.
    await handle.signal(rejectSignal, { actor: 'admin:bob' });
    expect(await handle.result()).toMatchObject({ status: 'rejected' });
    const resolved = await waitFor('the resolved notice', () => hook.accepted.get(`${incidentId}:resolved`));
    expect(resolved.body).toMatchObject({ data: { event: 'resolved', summary: 'rejected: nothing was applied' } });
    expect(mailbox.messages.filter((message) => message.messageId?.includes(':opened@'))).toHaveLength(1);
  });
});
