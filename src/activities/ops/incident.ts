/**
 * Incident bookkeeping: open (plan the playbook from the app's policy and the rule's past
 * decisions), record each step in the incident document and the app's audit chain, notify.
 * Idempotent on the incident id and each step id.
 */
import { planPlaybook, type Finding, type IncidentChanges, type IncidentStep, type PlaybookPlan } from './types';
import { incidentNotificationId, type RuleName } from '../../domain/ops';
import { AuditRepository } from '../../stores/audit-repository';
import { Incidents } from '../../stores/incidents';
import { OpsPolicies } from '../../stores/ops-policies';
import type { OpsActivityDeps } from './context';
import { createDispatcher, eventOf } from './notify';

const SYSTEM_ACTOR = (appId: string) => ({ actor_id: 'system:ops-autopilot', roles: ['system'], app_id: appId, via: 'system' as const });

/** A decision's actor: an admin over the API, or the person an approve/reject link named. */
function deciderActor(appId: string, actor: string) {
  return actor.startsWith('admin')
    ? { actor_id: actor, roles: ['admin'], app_id: appId, via: 'admin_key' as const }
    : { actor_id: actor, roles: ['decision_link'], app_id: appId, via: 'system' as const };
}

export interface OpenIncidentInput {
  workflowId: string;
  runId: string;
  finding: Finding;
  plan: PlaybookPlan;
}

export interface RecordStepInput {
  appId: string;
  incidentId: string;
  step?: IncidentStep;
  changes?: IncidentChanges;
}

export function incidentActivities(deps: OpsActivityDeps) {
  const incidents = new Incidents(deps.mongo, deps.redis);
  const policies = new OpsPolicies(deps.mongo, deps.redis);
  const audit = new AuditRepository(deps.mongo);
  const now = deps.now ?? (() => new Date());
  const dispatcher = createDispatcher(deps);

  async function auditStep(appId: string, incidentId: string, step: IncidentStep, action: 'create' | 'update'): Promise<void> {
    await audit.appendAuditEvent({
      event_id: `ops:${incidentId}:${step.step_id}`,
      app_id: appId,
      ts: step.at,
      actor: step.actor ? deciderActor(appId, step.actor) : SYSTEM_ACTOR(appId),
      action,
      resource: { type: 'incident', id: incidentId },
      outcome: 'success',
      details: { kind: step.kind, ...(step.action ? { ops_action: step.action } : {}), ...(step.detail ? { detail: step.detail } : {}) },
    });
  }

  return {
    /** Reads only: the playbook from the app's policy and the rule's past decisions. */
    async planIncident(input: { finding: Finding }): Promise<PlaybookPlan> {
      const { finding } = input;
      const policy = await policies.effective(finding.app_id);
      const decisions = await incidents.recentDecisions(finding.app_id, finding.rule, policy.promotion_after_approvals ?? 1);
      return planPlaybook(finding, policy, decisions);
    },

    async openIncident(input: OpenIncidentInput): Promise<{ incidentId: string }> {
      const { finding, plan } = input;
      const incidentId = `${input.workflowId}:${input.runId}`;
      if (await incidents.get(finding.app_id, incidentId)) return { incidentId };
      const at = now();
      const step: IncidentStep = {
        step_id: 'opened',
        kind: 'opened',
        at: at.toISOString(),
        action: plan.action,
        detail: `${plan.autonomy}${plan.promoted ? ' (promoted)' : ''}: ${finding.summary}`,
      };
      await incidents.open({
        app_id: finding.app_id,
        incident_id: incidentId,
        workflow_id: input.workflowId,
        rule: finding.rule,
        status: 'open',
        opened_at: at,
        updated_at: at,
        finding,
        plan,
        alerts: 1,
        steps: [step],
      });
      await auditStep(finding.app_id, incidentId, step, 'create');
      return { incidentId };
    },

    async recordIncidentStep(input: RecordStepInput): Promise<void> {
      const at = now();
      const changes = { ...input.changes };
      // Dates do not survive the activity's JSON arguments: the close time is taken here.
      if (changes.status === 'resolved' || changes.status === 'rejected') changes.closed_at = at;
      await incidents.record(input.appId, input.incidentId, input.step, changes, at);
      if (input.step) await auditStep(input.appId, input.incidentId, input.step, 'update');
    },

    /** One notification of an incident's state change, routed by the app's policy; `seq` tells
     * repeated events apart (the n-th escalation), `escalation` sends to the escalation channels. */
    async notifyIncident(input: { appId: string; incidentId: string; rule: string; kind: string; summary: string; seq?: number | string; escalation?: boolean }): Promise<{ channels: string[] }> {
      const event = eventOf(input.kind);
      return dispatcher.dispatch({
        appId: input.appId,
        incidentId: input.incidentId,
        rule: input.rule as RuleName,
        event,
        summary: input.summary,
        notificationId: incidentNotificationId(input.incidentId, event, input.seq),
        ...(input.escalation ? { escalation: true } : {}),
      });
    },
  };
}
