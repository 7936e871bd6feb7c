/** An incident as stored (`incidents`, one open per app and rule) and the steps it records. */
import type { Finding } from './rules';
import type { PlaybookPlan } from './playbook';
import type { OpsAction, RuleName } from './policy';

export const INCIDENT_STATUSES = ['open', 'awaiting_approval', 'mitigated', 'resolved', 'rejected'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export type IncidentStepKind =
  | 'opened'
  | 'alert'
  | 'explained'
  | 'proposed'
  | 'approved'
  | 'rejected'
  | 'approval_timed_out'
  | 'applied'
  | 'shadowed'
  | 'escalated'
  | 'reverted'
  | 'notified'
  | 'resolved';

export interface IncidentStep {
  step_id: string;
  kind: IncidentStepKind;
  at: string;
  action?: OpsAction;
  actor?: string;
  detail?: string;
}

export interface IncidentDoc {
  app_id: string;
  /** `{workflow id}:{run}`: unique per incident, even after the same rule fires again later. */
  incident_id: string;
  workflow_id: string;
  rule: RuleName;
  status: IncidentStatus;
  opened_at: Date;
  updated_at: Date;
  closed_at?: Date;
  finding: Finding;
  plan: PlaybookPlan;
  alerts: number;
  summary?: string;
  summary_source?: 'llm' | 'plain';
  suggested_action?: OpsAction;
  decision?: 'approved' | 'rejected' | 'timed_out';
  steps: IncidentStep[];
}
