/**
 * The ops autopilot's names both sides of Temporal agree on: workflow ids, the Schedule, and the
 * remediation workflow's signals and query. (Kept beside `contract.ts`, which holds the chat's.)
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Finding, IncidentStatus, OpsAction, RuleName } from '../domain/ops';

export const OPS_IDS = {
  /** The long-running fast loop (continues as new). */
  fastLoop: 'ops-monitor',
  /** The Temporal Schedule that runs a short monitoring pass as a backstop. */
  schedule: 'tessera-ops-monitor',
  scheduledWorkflow: 'ops-monitor-scheduled',
} as const;

export interface Decider {
  actor: string;
  note?: string;
}

/** A rule fired again for an open incident (also the signal of signal-with-start). */
export const alertSignal = defineSignal<[Finding]>('alert');
export const approveSignal = defineSignal<[Decider]>('approve');
export const rejectSignal = defineSignal<[Decider]>('reject');

export interface RemediationStatus {
  incidentId?: string;
  status: IncidentStatus;
  alerts: number;
  escalations: number;
  applied: string[];
}
export const remediationStatusQuery = defineQuery<RemediationStatus>('incidentStatus');

export interface RemediationInput {
  appId: string;
  rule: RuleName;
  finding: Finding;
}

export interface RemediationResult {
  incidentId: string;
  status: IncidentStatus;
  applied: OpsAction[];
  escalations: number;
}

/** The `remediation` workflow's signature, for starters (activities) that must not import the workflow module. */
export type RemediationWorkflow = (input: RemediationInput) => Promise<RemediationResult>;

/** One notification to deliver on its channels (`notificationDelivery`, id `notify:{app_id}:{notification_id}`). */
export interface NotificationDeliveryInput {
  appId: string;
  notificationId: string;
  channels: string[];
  notice: {
    app_id: string;
    incident_id: string;
    rule: string;
    kind: string;
    summary: string;
    notification_id: string;
    severity?: string;
    decision_wanted?: string;
  };
}

export interface NotificationDeliveryResult {
  delivered: string[];
  failed: string[];
}

export type NotificationDeliveryWorkflow = (input: NotificationDeliveryInput) => Promise<NotificationDeliveryResult>;

export const notificationWorkflowId = (appId: string, notificationId: string): string => `notify:${appId}:${notificationId}`;
