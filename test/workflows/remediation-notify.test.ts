/**
 * Routing and escalation on the time-skipping test server with the real ops activities and real
 * loopback receivers: an approval that still waits after `escalate_after_seconds` notifies the
 * escalation channel (a durable timer in `remediation`, reached by skipping time, not by waiting),
 * one notification per state change (repeated alerts notify nothing), the escalated message's link
 * approves, and a link past its expiry — the approval's deadline on the skipped clock — gets the
 * expired page, not an action.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiRuntime } from '../../src/api/build-runtime';
import { buildApi } from '../../src/api/server';
import type { Finding, IncidentDoc } from '../../src/domain/ops';
import { NotifyKeys } from '../../src/domain/ops/notify-crypto';
import { AuditRepository } from '../../src/stores/audit-repository';
import { Incidents } from '../../src/stores/incidents';
import { NotifyChannels } from '../../src/stores/notifications';
import { OpsPolicies } from '../../src/stores/ops-policies';
import { workflowIds } from '../../src/workflows/contract';
import { alertSignal, remediationStatusQuery } from '../../src/workflows/ops-contract';
import type { remediation } from '../../src/workflows/remediation';
import { TEMPLATES_DIR } from '../support/chat-kit';
import { startHttpReceiver, type HttpReceiver } from '../support/notify-receivers';
import { createOpsKit, type OpsKit } from '../support/ops-kit';
import { startTimeSkipping } from '../support/temporal';
import { waitFor } from '../support/wait-for';

const APP = 'escl';
const keys = new NotifyKeys(randomBytes(32).toString('base64url'));
let env: TestWorkflowEnvironment;
let kit: OpsKit;
let primary: HttpReceiver;
let lead: HttpReceiver;
let api: FastifyInstance;
/** The API's clock (a link's expiry is judged by it). */
let apiNow = () => new Date();

beforeAll(async () => {
  env = await startTimeSkipping();
  kit = await createOpsKit(env, 'remediation-notify', { notify: { keys, publicUrl: 'http://tessera.test', timeoutMs: 3000 } });
  primary = await startHttpReceiver({ secret: 'primary-secret-0123456789' });
  lead = await startHttpReceiver({ secret: 'lead-secret-0123456789' });
  const channels = new NotifyChannels(kit.mongo);
  for (const [name, receiver, secret] of [['primary', primary, 'primary-secret-0123456789'], ['lead', lead, 'lead-secret-0123456789']] as const) {
    await channels.put({ app_id: '_system', name, type: 'webhook', enabled: true, url: receiver.url, allow_private_addresses: true, secret_enc: keys.encrypt(secret), updated_at: new Date(), updated_by: 'test' });
  }
  const runtime = createApiRuntime({
    temporal: env.client,
    mongo: kit.mongo,
    redis: kit.redis,
    secrets: { adminKey: `tsa_${randomBytes(18).toString('base64url')}`, jwtSecret: randomBytes(32).toString('base64url'), keyPepper: randomBytes(32).toString('base64url') },
    templatesDir: TEMPLATES_DIR,
    publicUrl: 'http://tessera.test',
    now: () => apiNow(),
  });
  runtime.notify = { keys };
  api = await buildApi({ logLevel: 'silent', probes: [], runtime });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await Promise.all([primary?.close(), lead?.close()]);
  await kit?.close();
  await env?.teardown();
});


const events = (receiver: HttpReceiver) => [...receiver.accepted.values()].map((delivery) => (delivery.body as { data: { event: string } }).data.event);
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

it('an approval still waiting escalates to the next channel on a durable timer; its link approves; an expired link decides nothing', async () => {
  await new OpsPolicies(kit.mongo, kit.redis).put(APP, {
    promotion_after_approvals: null,
    approval_timeout_seconds: 3600,
    rules: { burn_spike: { autonomy: 'approval', ttl_seconds: 300 } },
    notifications: { routes: [{ rules: ['burn_spike'], severities: ['act'], events: [], channels: ['primary'] }], escalation_channels: ['lead'], escalate_after_seconds: 600 },
  }, 'admin', new Date());
  const finding: Finding = { rule: 'burn_spike', app_id: APP, severity: 'act', summary: `${APP} burns hot`, evidence: { factor: 7 }, proposed_action: 'throttle' };
  await kit.withWorker(async () => {
    await kit.activities.raiseAlerts({ findings: [finding] });
    const handle = env.client.workflow.getHandle<typeof remediation>(workflowIds.incident(APP, 'burn_spike'));
    await waitFor('awaiting approval', async () => ((await handle.query(remediationStatusQuery)).status === 'awaiting_approval' ? true : undefined));
    await waitFor('the approval request', () => (events(primary).includes('approval_requested') ? true : undefined));
    // Repeated alerts are not state changes: nothing more is sent.
    for (let i = 0; i < 3; i++) await handle.signal(alertSignal, finding);
    await waitFor('the alerts', async () => ((await handle.query(remediationStatusQuery)).alerts >= 3 ? true : undefined));
    expect(events(primary).sort()).toEqual(['approval_requested', 'opened']);
    expect(lead.requests).toHaveLength(0);

    // Ten minutes pass (skipped): the escalation channel is told, with links of its own.
    const before = await env.currentTimeMs();
    await env.sleep(601_000);
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(600_000);
    const escalated = await waitFor('the escalation', () => [...lead.accepted.values()].find((delivery) => (delivery.body as { data: { event: string } }).data.event === 'approval_escalated'));
    const data = (escalated.body as { data: { incident_id: string; summary: string; links: { approve: string; reject: string } } }).data;
    expect(data.summary).toMatch(/^still waiting for approval after 600s/);
    expect(events(primary).sort()).toEqual(['approval_requested', 'opened']);
    const incidents = new Incidents(kit.mongo, kit.redis);
    const doc = (await incidents.get(APP, data.incident_id)) as IncidentDoc;
    expect(doc.steps.map((step) => step.kind)).toEqual(['opened', 'explained', 'proposed', 'notified']);

    // The primary message's link expires with the approval's deadline (on the workflow's clock).
    const first = [...primary.accepted.values()].find((delivery) => (delivery.body as { data: { event: string } }).data.event === 'approval_requested');
    const firstLinks = (first?.body as { data: { links: { approve: string } } }).data.links;
    const firstLink = keys.verifyLink(tokenOf(firstLinks.approve))!;
    const deadline = Date.parse(doc.steps.find((step) => step.kind === 'proposed')!.at) + 3600_000;
    expect(firstLink.exp * 1000).toBeLessThanOrEqual(deadline);
    apiNow = () => new Date(firstLink.exp * 1000 + 1000);
    const late = await api.inject({ method: 'POST', url: `/v1/ops/decisions?token=${tokenOf(firstLinks.approve)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(late.statusCode).toBe(410);
    expect(late.body).toContain('This link has expired');
    expect((await handle.query(remediationStatusQuery)).status).toBe('awaiting_approval');

    // The lead approves from the escalated message.
    apiNow = () => new Date();
    const page = await api.inject({ method: 'GET', url: `/v1/ops/decisions?token=${tokenOf(data.links.approve)}` });
    expect(page.statusCode).toBe(200);
    const approved = await api.inject({ method: 'POST', url: `/v1/ops/decisions?token=${tokenOf(data.links.approve)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(approved.statusCode).toBe(200);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'resolved', applied: ['throttle'] });
    const closed = (await incidents.get(APP, data.incident_id)) as IncidentDoc;
    expect(closed.steps.find((step) => step.kind === 'approved')?.actor).toBe('webhook:lead');
    expect(closed.decision).toBe('approved');
    const audit = await new AuditRepository(kit.mongo).listAppEvents(APP, { limit: 500 });
    expect(audit.filter((event) => event.event_id.startsWith('ops:decision-link:')).map((event) => [event.actor.actor_id, event.outcome, event.details?.reason ?? null])).toEqual([
      ['webhook:primary', 'failure', 'expired'],
      ['webhook:lead', 'success', null],
    ]);

    // One notification per state change, on the routed channel.
    await waitFor('the resolution', () => (events(primary).includes('resolved') ? true : undefined));
    expect(events(primary).sort()).toEqual(['action_applied', 'approval_requested', 'opened', 'resolved', 'reverted']);
    expect(events(lead)).toEqual(['approval_escalated']);
    expect(primary.requests.every((request) => request.signatureValid) && lead.requests.every((request) => request.signatureValid)).toBe(true);
  });
});
