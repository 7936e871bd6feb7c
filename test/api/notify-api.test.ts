/**
 * Getting paged, end to end on the real stack (dev server, API over HTTP, ops worker, FerretDB,
 * Redis) with real receivers on loopback: channels set through the API (secrets write-only, never
 * returned), an incident that wants approval reaches a signed webhook, a Slack-compatible receiver
 * and a mailbox (smtp-server + mailparser); the test reads the mail, follows its approve link (a
 * page, then the button) and the incident proceeds, with the approval in the audit log under the
 * actor the link names. The link then refuses a second use; an expired or forged link gets a page,
 * not an action; the delivery record is readable by the admin and by the app's own key only.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOpsActivities, type OpsNotice } from '../../src/activities/ops';
import type { Finding } from '../../src/domain/ops';
import { NotifyKeys } from '../../src/domain/ops/notify-crypto';
import { AuditRepository } from '../../src/stores/audit-repository';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { startHttpReceiver, startMailbox, type HttpReceiver, type Mailbox } from '../support/notify-receivers';
import { services, uniqueName } from '../support/services';
import { waitFor } from '../support/wait-for';

const APP = 'paged';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const SMTP = { user: 'tessera', password: `smtp-${randomBytes(9).toString('hex')}` };
const keys = new NotifyKeys(randomBytes(32).toString('base64url'));

let stack: ApiStack;
let hook: HttpReceiver;
let chat: HttpReceiver;
let mailbox: Mailbox;
let worker: Worker;
let running: Promise<void>;
let activities: ReturnType<typeof createOpsActivities>;
let appKey: string;

beforeAll(async () => {
  stack = await startApiStack({ label: 'notifyapi' });
  stack.runtime.notify = { keys };
  hook = await startHttpReceiver({ secret: SECRET, failFirst: 2 });
  chat = await startHttpReceiver();
  mailbox = await startMailbox(SMTP);
  const taskQueue = uniqueName('notify-ops');
  const notices: OpsNotice[] = [];
  activities = createOpsActivities({
    mongo: stack.kit.mongo,
    redis: stack.kit.redis,
    temporal: stack.env.client,
    taskQueue,
    notifier: { notify: async (notice) => void notices.push(notice) },
    notify: { keys, publicUrl: stack.url, timeoutMs: 3000 },
  });
  worker = await Worker.create({ connection: stack.env.nativeConnection, taskQueue, workflowBundle: { codePath: services().workflowBundlePath }, activities });
  running = worker.run();
  appKey = await stack.createApp(APP);
  await stack.createApp('other-app');
}, 180_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await Promise.all([hook?.close(), chat?.close(), mailbox?.close()]);
  await stack?.close();
});


const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

interface IncidentView {
  incident_id: string;
  status: string;
  decision?: string;
  steps: { kind: string; actor?: string }[];
}

it('channels are set through the API and their secrets are never returned', async () => {
  const put = await stack.call('PUT', '/v1/ops/channels/hook', { key: stack.adminKey, body: { type: 'webhook', url: hook.url, secret: SECRET, allow_private_addresses: true } });
  expect(put.status).toBe(200);
  expect(await put.json()).toMatchObject({ name: 'hook', type: 'webhook', enabled: true, url: hook.url, secret_set: true });
  expect((await stack.call('PUT', '/v1/ops/channels/chat', { key: stack.adminKey, body: { type: 'slack', url: chat.url, allow_private_addresses: true } })).status).toBe(200);
  const mail = await stack.call('PUT', '/v1/ops/channels/mail', {
    key: stack.adminKey,
    body: {
      type: 'email',
      smtp: { host: '127.0.0.1', port: mailbox.port, secure: false, reject_unauthorized: false, user: SMTP.user, password: SMTP.password },
      from: 'ops@tessera.test',
      to: ['oncall@example.test'],
    },
  });
  expect(mail.status).toBe(200);
  expect(await mail.json()).toMatchObject({ type: 'email', secret_set: true, smtp: { host: '127.0.0.1', user: SMTP.user } });
  const list = await stack.call('GET', '/v1/ops/channels', { key: stack.adminKey });
  expect(list.status).toBe(200);
  const text = await list.text();
  expect(JSON.parse(text)).toMatchObject({ channels: [{ name: 'chat' }, { name: 'hook' }, { name: 'mail' }] });
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(SMTP.password);
  // Bad input, the reserved name, the wrong caller.
  expect((await stack.call('PUT', '/v1/ops/channels/log', { key: stack.adminKey, body: { type: 'slack', url: chat.url } })).status).toBe(400);
  expect((await stack.call('PUT', '/v1/ops/channels/x', { key: stack.adminKey, body: { type: 'email', smtp: { host: 'h' }, from: 'nope', to: [] } })).status).toBe(400);
  expect((await stack.call('PUT', '/v1/ops/channels/x', { key: appKey, body: { type: 'slack', url: chat.url } })).status).toBe(403);
  expect((await stack.call('DELETE', '/v1/ops/channels/none', { key: stack.adminKey })).status).toBe(404);
});

it('an incident that wants approval pages three channels and is approved from the link in the mail', async () => {
  const policy = await stack.call('PUT', `/v1/ops/policies/${APP}`, {
    key: stack.adminKey,
    body: {
      promotion_after_approvals: null,
      rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 600 } },
      notifications: { routes: [{ channels: ['hook', 'chat', 'mail'] }] },
    },
  });
  expect(policy.status).toBe(200);
  const finding: Finding = { rule: 'burn_spike', app_id: APP, severity: 'act', summary: `${APP} burns 8x its baseline`, evidence: { factor: 8 }, proposed_action: 'throttle' };
  await activities.raiseAlerts({ findings: [finding] });

  const mail = await waitFor('the approval mail', () => mailbox.messages.find((message) => message.subject?.includes('Approval wanted')));
  const approve = /Approve: (\S+)/.exec(mail.text ?? '')?.[1];
  const reject = /Reject: (\S+)/.exec(mail.text ?? '')?.[1];
  expect(approve).toMatch(new RegExp(`^${stack.url}/v1/ops/decisions\\?token=`));
  const incidentId = (await waitFor('the webhook', () => [...hook.accepted.values()].find((d) => (d.body as { type: string }).type === 'ops.approval_requested'))).body as { data: { incident_id: string } };
  expect(await waitFor('the Slack message', () => [...chat.accepted.values()].find((d) => JSON.stringify(d.body).includes('"action_id":"approve"')))).toBeDefined();

  // Following the link shows the decision and a button; it decides nothing yet.
  const shown = await fetch(approve!);
  expect(shown.status).toBe(200);
  expect(shown.headers.get('content-type')).toMatch(/^text\/html/);
  expect(shown.headers.get('referrer-policy')).toBe('no-referrer');
  const form = await shown.text();
  expect(form).toContain('Approve throttle for paged');
  expect(form).toMatch(/<form method="post" action="\/v1\/ops\/decisions\?token=[^"]+"><button type="submit">Approve<\/button>/);
  const incidents = async () => (await json<{ incidents: IncidentView[] }>(await stack.call('GET', `/v1/ops/incidents?app_id=${APP}`, { key: stack.adminKey }))).incidents;
  expect((await incidents())[0]?.status).toBe('awaiting_approval');

  // The button: an HTML form post.
  const decided = await fetch(approve!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  expect(decided.status).toBe(200);
  expect(await decided.text()).toContain('Approved: throttle is applied');
  const incident = await waitFor('the incident to proceed', async () => (await incidents()).find((doc) => doc.status === 'mitigated'));
  expect(incident.incident_id).toBe(incidentId.data.incident_id);
  expect(incident.decision).toBe('approved');
  expect(incident.steps.find((step) => step.kind === 'approved')?.actor).toBe('email:oncall@example.test');

  // The audit log: the link's use and the approval step, both under the actor the link names.
  const audit = await new AuditRepository(stack.kit.mongo).listAppEvents(APP, { limit: 500 });
  const use = audit.find((event) => event.event_id.startsWith('ops:decision-link:') && event.outcome === 'success');
  expect(use).toMatchObject({ actor: { actor_id: 'email:oncall@example.test', roles: ['decision_link'] }, resource: { type: 'incident', id: incident.incident_id }, details: { decision: 'approve' } });
  expect(audit.find((event) => event.details?.kind === 'approved')).toMatchObject({ actor: { actor_id: 'email:oncall@example.test' } });

  // Used twice, or its sibling reject link: a clear page, nothing done, the refusal audited.
  for (const again of [approve!, reject!]) {
    const second = await fetch(again, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(second.status).toBe(410);
    expect(await second.text()).toContain('This link was already used');
  }
  const refusals = (await new AuditRepository(stack.kit.mongo).listAppEvents(APP, { limit: 500 })).filter((event) => event.event_id.startsWith('ops:decision-link:') && event.outcome === 'failure');
  expect(refusals).toHaveLength(2);
  expect((await incidents())[0]).toMatchObject({ status: 'mitigated', decision: 'approved' });

  // Expired and forged links.
  const expired = keys.signLink({ app_id: APP, incident_id: incident.incident_id, decision: 'reject', link_id: 'old:1', actor: 'email:late@example.test', exp: Math.floor(Date.now() / 1000) - 5 });
  const late = await fetch(`${stack.url}/v1/ops/decisions?token=${expired}`, { method: 'POST' });
  expect(late.status).toBe(410);
  expect(await late.text()).toContain('This link has expired');
  const forged = `${expired.split('.')[0]}.${'A'.repeat(43)}`;
  const bad = await fetch(`${stack.url}/v1/ops/decisions?token=${forged}`);
  expect(bad.status).toBe(403);
  expect(await bad.text()).toContain('This link is not valid');
  expect((await fetch(`${stack.url}/v1/ops/decisions`)).status).toBe(400);
  expect((await incidents())[0]).toMatchObject({ status: 'mitigated', decision: 'approved' });
});

it('the delivery record: the admin reads any app, an app key its own', async () => {
  interface Row { channel: string; status: string; attempts: number; event: string; app_id: string; last_error?: string }
  const rows = await waitFor('every delivery', async () => {
    const response = await stack.call('GET', `/v1/ops/notifications?app_id=${APP}&limit=500`, { key: stack.adminKey });
    expect(response.status).toBe(200);
    const { notifications } = await json<{ notifications: Row[] }>(response);
    const approval = notifications.filter((row) => row.event === 'approval_requested');
    return approval.length === 3 && approval.every((row) => row.status === 'delivered') ? notifications : undefined;
  });
  expect(rows.find((row) => row.event === 'approval_requested' && row.channel === 'hook')).toMatchObject({ attempts: 3, last_error: 'receiver answered 503' });
  const own = await stack.call('GET', '/v1/ops/notifications?status=delivered', { key: appKey });
  expect(own.status).toBe(200);
  const ownRows = (await json<{ notifications: Row[] }>(own)).notifications;
  expect(ownRows.length).toBeGreaterThan(0);
  expect(ownRows.every((row) => row.app_id === APP && row.status === 'delivered')).toBe(true);
  expect((await stack.call('GET', '/v1/ops/notifications?app_id=other-app', { key: appKey })).status).toBe(404);
  expect((await stack.call('GET', '/v1/ops/notifications?bogus=1', { key: stack.adminKey })).status).toBe(400);
});
