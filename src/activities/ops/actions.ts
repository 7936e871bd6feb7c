/**
 * The reversible levers a playbook pulls: throttle (limits × factor, read by the admission script on
 * every replica), pause (new turns refused), disable a pack, notify. Each lever in Redis carries a
 * TTL a little past the playbook's own, so a lever whose remediation died still lets go.
 */
import { ApplicationFailure } from '@temporalio/common';
import { OpsControls } from '../../stores/ops-controls';
import { incidentNotificationId, type RuleName } from '../../domain/ops';
import type { OpsActivityDeps } from './context';
import { createDispatcher } from './notify';
import type { OpsAction } from './types';

/** Backstop beyond the durable timer that normally reverts an action. */
const LEVER_GRACE_MS = 60_000;

export interface ActionInput {
  appId: string;
  incidentId: string;
  action: OpsAction;
  ttlSeconds: number;
  throttleFactor: number;
  /** The pack a `disable_pack` action applies to, when the finding names one. */
  pack?: string;
  summary: string;
  rule: string;
  /** Tells this notify action's notification apart from the incident's others (default: once). */
  notificationKey?: string;
}

export function actionActivities(deps: OpsActivityDeps) {
  const controls = new OpsControls(deps.redis);
  const dispatcher = createDispatcher(deps);

  return {
    /** Applies (or re-applies, extending its TTL) an action; says what it did. */
    async applyAction(input: ActionInput): Promise<{ applied: boolean; detail: string }> {
      const ttlMs = input.ttlSeconds * 1000 + LEVER_GRACE_MS;
      switch (input.action) {
        case 'throttle':
          await controls.throttle(input.appId, { factor: input.throttleFactor, incident_id: input.incidentId }, ttlMs);
          return { applied: true, detail: `limits and fairness weight × ${input.throttleFactor} for ${input.ttlSeconds}s` };
        case 'pause':
          await controls.pause(input.appId, input.incidentId, ttlMs);
          return { applied: true, detail: `new turns refused for ${input.ttlSeconds}s` };
        case 'disable_pack':
          if (!deps.packSwitch || !input.pack) return { applied: false, detail: 'no pack switch or no pack named: recorded only' };
          await deps.packSwitch.setEnabled(input.appId, input.pack, false, input.incidentId);
          return { applied: true, detail: `pack ${input.pack} disabled for ${input.ttlSeconds}s` };
        case 'notify':
          await dispatcher.dispatch({
            appId: input.appId,
            incidentId: input.incidentId,
            rule: input.rule as RuleName,
            event: 'action_applied',
            summary: input.summary,
            notificationId: incidentNotificationId(input.incidentId, 'action_applied', input.notificationKey ?? 'notify'),
          });
          return { applied: true, detail: 'notified' };
        default:
          throw ApplicationFailure.create({ type: 'unknown_ops_action', nonRetryable: true, message: `unknown action ${String(input.action)}` });
      }
    },

    /** Undoes an action (idempotent; notify has nothing to undo). */
    async revertAction(input: Pick<ActionInput, 'appId' | 'incidentId' | 'action' | 'pack'>): Promise<void> {
      if (input.action === 'throttle') await controls.clear(input.appId, 'throttle');
      if (input.action === 'pause') await controls.clear(input.appId, 'pause');
      if (input.action === 'disable_pack' && deps.packSwitch && input.pack) {
        await deps.packSwitch.setEnabled(input.appId, input.pack, true, input.incidentId);
      }
    },
  };
}
