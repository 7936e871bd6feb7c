/**
 * Approve and reject from the message: `GET /v1/ops/decisions?token=` shows what the link would
 * decide and a button (a link scanner or a preview that fetches the URL decides nothing);
 * `POST` (the button) decides. The token is signed (`TESSERA_NOTIFY_KEY`), names the incident, the
 * decision, the actor the message went to and a link id shared by the message's approve and reject
 * links, and expires (at the latest when the approval stops waiting). A link is single-use: the
 * first POST spends its id with one insert under a unique index (every replica agrees), and each
 * use — the one that decided and every refused one — is audited in the app's chain with the actor
 * the link names. A bad, expired, spent or no-longer-wanted link gets a clear page, not an action.
 *
 * Open routes (the person has no key), served as HTML and kept out of the API document.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { decisionLinkQuery } from '../../domain/api/notify';
import type { DecisionLink } from '../../domain/ops/notify-crypto';
import type { IncidentDoc } from '../../domain/ops';
import { Incidents } from '../../stores/incidents';
import { DecisionLinkUses } from '../../stores/notifications';
import { approveSignal, rejectSignal } from '../../workflows/ops-contract';
import type { ApiRuntime } from '../runtime';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: it must not travel on in a Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
};

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function page(reply: FastifyReply, status: number, title: string, paragraphs: string[], form?: { action: string; label: string }): FastifyReply {
  const body = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}button{font-size:1.1em;padding:.5em 1.5em}</style>',
    `</head><body><h1>${escapeHtml(title)}</h1>`,
    ...paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`),
    form ? `<form method="post" action="${escapeHtml(form.action)}"><button type="submit">${escapeHtml(form.label)}</button></form>` : '',
    '</body></html>',
  ].join('\n');
  return reply.status(status).headers(PAGE_HEADERS).send(body);
}

type Verdict =
  | { ok: true; link: DecisionLink; incident: IncidentDoc }
  | { ok: false; status: number; title: string; text: string; link?: DecisionLink; reason: string };

export function decisionLinkRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const incidents = new Incidents(runtime.mongo, runtime.redis);
  const uses = new DecisionLinkUses(runtime.mongo);

  async function judge(token: string): Promise<Verdict> {
    const link = runtime.notify?.keys.verifyLink(token);
    if (!link) return { ok: false, status: 403, title: 'This link is not valid', text: 'The link is damaged or was not issued by this Tessera. Nothing was decided.', reason: 'bad_signature' };
    if (link.exp * 1000 <= runtime.now().getTime()) {
      return { ok: false, status: 410, title: 'This link has expired', text: `It was valid until ${new Date(link.exp * 1000).toISOString()}. Nothing was decided; ask an admin or use the API.`, link, reason: 'expired' };
    }
    const spent = await uses.get(link.app_id, link.link_id);
    if (spent) {
      return { ok: false, status: 410, title: 'This link was already used', text: `It was used to ${spent.decision} at ${spent.used_at.toISOString()}. A link decides once; nothing was done now.`, link, reason: 'used' };
    }
    const incident = await incidents.get(link.app_id, link.incident_id);
    if (!incident) return { ok: false, status: 404, title: 'No such incident', text: 'The incident this link names is not known. Nothing was decided.', link, reason: 'not_found' };
    if (incident.status !== 'awaiting_approval') {
      return { ok: false, status: 409, title: 'No decision is waiting', text: `Incident ${incident.incident_id} is ${incident.status}${incident.decision ? ` (${incident.decision.replace('_', ' ')})` : ''}. Nothing was decided now.`, link, reason: 'not_awaiting' };
    }
    return { ok: true, link, incident };
  }

  async function audit(link: DecisionLink, outcome: 'success' | 'failure', details: Record<string, string>, requestId: string): Promise<void> {
    await runtime.audit.appendAuditEvent({
      event_id: outcome === 'success' ? `ops:decision-link:${link.link_id}` : `ops:decision-link:${link.link_id}:refused:${randomUUID()}`,
      app_id: link.app_id,
      ts: runtime.now().toISOString(),
      actor: { actor_id: link.actor, roles: ['decision_link'], app_id: link.app_id, via: 'system', request_id: requestId },
      action: 'update',
      resource: { type: 'incident', id: link.incident_id },
      outcome,
      details: { decision: link.decision, link_id: link.link_id, ...details },
    });
  }

  async function refused(reply: FastifyReply, verdict: Extract<Verdict, { ok: false }>, requestId: string, acting: boolean): Promise<FastifyReply> {
    if (acting && verdict.link) await audit(verdict.link, 'failure', { reason: verdict.reason }, requestId);
    return page(reply, verdict.status, verdict.title, [verdict.text]);
  }

  const htmlStatuses = 'HTML pages: 200 (what the link decides, or that it decided), 403 (not a valid link), 404 (no such incident), 409 (no decision waiting), 410 (expired or already used)';

  void scope.register(async (inner) => {
    // The button posts an (empty) HTML form.
    inner.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, _body, done) => done(null, {}));
    const app = inner.withTypeProvider<ZodTypeProvider>();

    app.get('/v1/ops/decisions', {
      config: { open: true },
      schema: { hide: true, summary: `Shows what an approve/reject link decides. ${htmlStatuses}`, querystring: decisionLinkQuery },
    }, async (request, reply) => {
      const verdict = await judge(request.query.token);
      if (!verdict.ok) return refused(reply, verdict, String(request.id), false);
      const { link, incident } = verdict;
      const what = link.decision === 'approve' ? `Approve ${incident.plan.action} for ${incident.app_id}` : `Reject ${incident.plan.action} for ${incident.app_id}`;
      return page(reply, 200, what, [
        incident.summary ?? incident.finding.summary,
        `Incident ${incident.incident_id} (${incident.rule}) waits for a decision. You decide as ${link.actor}; the link works once and expires at ${new Date(link.exp * 1000).toISOString()}.`,
      ], { action: `/v1/ops/decisions?token=${encodeURIComponent(request.query.token)}`, label: link.decision === 'approve' ? 'Approve' : 'Reject' });
    });

    app.post('/v1/ops/decisions', {
      config: { open: true },
      schema: { hide: true, summary: `Decides as the link says, once. ${htmlStatuses}`, querystring: decisionLinkQuery },
    }, async (request, reply) => {
      const requestId = String(request.id);
      const verdict = await judge(request.query.token);
      if (!verdict.ok) return refused(reply, verdict, requestId, true);
      const { link, incident } = verdict;
      const won = await uses.spend({ app_id: link.app_id, link_id: link.link_id, incident_id: link.incident_id, decision: link.decision, actor: link.actor, used_at: runtime.now() });
      if (!won) {
        return refused(reply, { ok: false, status: 410, title: 'This link was already used', text: 'A link decides once; nothing was done now.', link, reason: 'used' }, requestId, true);
      }
      const runId = incident.incident_id.slice(incident.workflow_id.length + 1);
      const decider = { actor: link.actor, note: `decided with a link (${link.link_id})` };
      try {
        await runtime.temporal.workflow.getHandle(incident.workflow_id, runId).signal(link.decision === 'approve' ? approveSignal : rejectSignal, decider);
      } catch (error) {
        await audit(link, 'failure', { reason: 'signal_failed', error: (error as Error).message.slice(0, 200) }, requestId);
        return page(reply, 409, 'No decision is waiting', [`Incident ${incident.incident_id} no longer waits for a decision. Nothing was decided.`]);
      }
      await audit(link, 'success', {}, requestId);
      const done = link.decision === 'approve' ? `Approved: ${incident.plan.action} is applied` : 'Rejected: nothing is applied';
      return page(reply, 200, done, [`Incident ${incident.incident_id} for ${incident.app_id} proceeds. Recorded as decided by ${link.actor}.`]);
    });
  });
}
