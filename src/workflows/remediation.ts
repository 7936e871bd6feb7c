/**
 * `remediation` — one incident per app and rule (`incident:{app_id}:{rule}`), started by the
 * monitor with signal-with-start, so a repeated alert joins the open incident.
 *
 * It plans the playbook from the app's policy (autonomy, with promotion after consecutive
 * approvals), writes an explanation, then: `shadow` records what it would do; `approval` waits for
 * `approve`/`reject` with a timeout that falls back to the safe action and notifies; `automatic`
 * acts. Actions are temporary: after their TTL, on a durable timer, they are reverted — unless the
 * condition persisted (alerts kept coming), which escalates, up to the policy's limit. Every step
 * is recorded in the incident document and audited.
 *
 * Notifications (`notify-v1`): one per state change — opened, approval wanted, approval escalated
 * (an approval still waiting after the policy's time notifies the escalation channels, on a durable
 * timer), approval timed out, action applied, escalated, reverted, resolved — never one per alert.
 * Each is dispatched by an activity that only records it and starts its delivery, and a failure to
 * dispatch is swallowed: no channel ever blocks or fails the playbook. Histories recorded before
 * notifications replay unchanged (test/workflows/remediation-replay.test.ts).
 */
import { condition, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { IncidentStatus, IncidentStepKind, OpsAction, PlaybookPlan } from '../domain/ops';
import {
  alertSignal,
  approveSignal,
  rejectSignal,
  remediationStatusQuery,
  type Decider,
  type RemediationInput,
  type RemediationResult,
} from './ops-contract';
import { explain, ops } from './ops/activities';

export async function remediation(input: RemediationInput): Promise<RemediationResult> {
  const { appId } = input;
  let alerts = 0;
  let decision: { kind: 'approved' | 'rejected'; by: Decider } | undefined;
  let status: IncidentStatus = 'open';
  let escalations = 0;
  let incidentId: string | undefined = undefined;
  const applied: OpsAction[] = [];
  let steps = 0;

  setHandler(alertSignal, () => {
    alerts++;
  });
  setHandler(approveSignal, (by) => {
    decision ??= { kind: 'approved', by };
  });
  setHandler(rejectSignal, (by) => {
    decision ??= { kind: 'rejected', by };
  });
  setHandler(remediationStatusQuery, () => ({ ...(incidentId ? { incidentId } : {}), status, alerts, escalations, applied: [...applied] }));

  // Alerts counted when the last action was taken: more since then means the condition persists.
  let alertsAtAction = 0;
  let pulls = 0;
  async function pull(action: OpsAction, plan: PlaybookPlan): Promise<{ detail: string }> {
    alertsAtAction = alerts;
    const result = await ops.applyAction({
      appId,
      incidentId: `${workflowInfo().workflowId}:${workflowInfo().runId}`,
      action,
      ttlSeconds: plan.ttl_seconds,
      throttleFactor: plan.throttle_factor,
      ...(typeof input.finding.evidence.pack === 'string' ? { pack: input.finding.evidence.pack } : {}),
      summary: input.finding.summary,
      rule: input.rule,
      // A notify action's notification id: one per pull.
      ...(notifyV1 ? { notificationKey: String(++pulls) } : {}),
    });
    if (result.applied && !applied.includes(action)) applied.push(action);
    return result;
  }

  const { workflowId, runId } = workflowInfo();
  // Marked before the first command: every notification below is new in notify-v1.
  const notifyV1 = patched('notify-v1');
  const plan = await ops.planIncident({ finding: input.finding });
  // An automatic lever is pulled before anything is written: mitigation waits for no bookkeeping.
  const lever = plan.autonomy === 'automatic' ? await pull(plan.action, plan) : undefined;
  incidentId = (await ops.openIncident({ workflowId, runId, finding: input.finding, plan })).incidentId;
  const id = incidentId;
  /** One notification; a dispatch that fails is left behind (the record tells), the playbook goes on. */
  const notify = async (kind: string, summary: string, extra: { seq?: number; escalation?: boolean } = {}) => {
    try {
      await ops.notifyIncident({ appId, incidentId: id, rule: input.rule, kind, summary, ...(notifyV1 ? extra : {}) });
    } catch {
      // Recorded by the activity's own retries; nothing here may stop the playbook.
    }
  };
  if (notifyV1) await notify('opened', `${input.finding.summary} (${plan.autonomy}: ${plan.action})`);
  const record = async (kind: IncidentStepKind, extra: { action?: OpsAction; actor?: string; detail?: string } = {}, changes: object = {}) => {
    await ops.recordIncidentStep({
      appId,
      incidentId: id,
      step: { step_id: `${++steps}:${kind}`, kind, at: new Date().toISOString(), ...extra },
      changes: { alerts, ...changes },
    });
  };
  const act = async (action: OpsAction, kind: 'applied' | 'escalated' = 'applied', pulled?: { detail: string }) => {
    const result = pulled ?? (await pull(action, plan));
    status = 'mitigated';
    await record(kind, { action, detail: result.detail }, { status });
    // The notify action is its own notification; escalations notify below.
    if (notifyV1 && kind === 'applied' && action !== 'notify') await notify('action_applied', `${action}: ${result.detail}`, { seq: steps });
  };

  if (lever) await act(plan.action, 'applied', lever);
  const explanation = await explain.explainIncident({ appId, incidentId: id, finding: input.finding, plan, allowed: allowedList(plan) });

  if (plan.autonomy === 'shadow') {
    await record('shadowed', { action: plan.action, detail: `would ${plan.action}: ${explanation.summary}` });
    await holdWhileAlerting(plan);
    return finish('resolved');
  }

  if (plan.autonomy === 'approval') {
    if (notifyV1) {
      // Proposed first: the links in the message are valid until the approval's deadline from here.
      await record('proposed', { action: plan.action, detail: explanation.summary }, { status: 'awaiting_approval' });
      await notify('approval_requested', explanation.summary);
      status = 'awaiting_approval';
    } else {
      await notify('approval_requested', explanation.summary);
      status = 'awaiting_approval';
      await record('proposed', { action: plan.action, detail: explanation.summary }, { status });
    }
    const decided = () => decision !== undefined;
    const timeoutMs = plan.approval_timeout_seconds * 1000;
    const escalateMs = notifyV1 && plan.approval_escalate_after_seconds ? plan.approval_escalate_after_seconds * 1000 : undefined;
    let answered: boolean;
    if (escalateMs !== undefined && escalateMs < timeoutMs) {
      // A durable timer: still no answer after the policy's time, the next channels are told.
      answered = await condition(decided, escalateMs);
      if (!answered) {
        await record('notified', { detail: `approval still waiting after ${escalateMs / 1000}s: escalated to the next channels` });
        await notify('approval_escalated', `still waiting for approval after ${escalateMs / 1000}s: ${explanation.summary}`, { escalation: true });
        answered = await condition(decided, timeoutMs - escalateMs);
      }
    } else {
      answered = await condition(decided, timeoutMs);
    }
    if (answered && decision?.kind === 'rejected') {
      await record('rejected', { actor: decision.by.actor, ...(decision.by.note ? { detail: decision.by.note } : {}) }, { decision: 'rejected' });
      return finish('rejected');
    }
    if (answered && decision) {
      await record('approved', { actor: decision.by.actor, ...(decision.by.note ? { detail: decision.by.note } : {}) }, { decision: 'approved' });
      await act(plan.action);
    } else {
      await record('approval_timed_out', { action: plan.fallback_action }, { decision: 'timed_out' });
      await act(plan.fallback_action);
      if (plan.fallback_action !== 'notify') {
        await notify('approval_timed_out', `no answer in ${plan.approval_timeout_seconds}s: ${plan.fallback_action} applied`);
      }
    }
  }

  // Hold the actions for their TTL; a condition that persisted through it escalates.
  for (;;) {
    await sleep(plan.ttl_seconds * 1000);
    if (alerts === alertsAtAction || escalations >= plan.max_escalations) break;
    escalations++;
    await act(plan.escalation_action, 'escalated');
    if (plan.escalation_action !== 'notify') {
      await notify('escalated', `condition persists: ${plan.escalation_action} (escalation ${escalations})`, { seq: escalations });
    }
  }
  const reverted: OpsAction[] = [];
  for (const action of applied) {
    if (action === 'notify') continue;
    await ops.revertAction({ appId, incidentId: id, action });
    await record('reverted', { action });
    reverted.push(action);
  }
  if (notifyV1 && reverted.length > 0) await notify('reverted', `reverted: ${reverted.join(', ')}`);
  return finish('resolved');

  async function finish(final: IncidentStatus): Promise<RemediationResult> {
    status = final;
    await record('resolved', { detail: final }, { status: final });
    if (notifyV1) await notify('resolved', final === 'rejected' ? 'rejected: nothing was applied' : `resolved${applied.length > 0 ? ` after ${applied.join(', ')}` : ''}`);
    return { incidentId: id, status: final, applied, escalations };
  }

  /** Shadow mode keeps the incident open while the rule keeps firing (one TTL at a time). */
  async function holdWhileAlerting(p: PlaybookPlan): Promise<void> {
    for (;;) {
      const before = alerts;
      await sleep(p.ttl_seconds * 1000);
      if (alerts === before) return;
    }
  }
}

function allowedList(plan: PlaybookPlan): OpsAction[] {
  return [...new Set([plan.action, plan.fallback_action, plan.escalation_action, 'notify' as const])];
}
