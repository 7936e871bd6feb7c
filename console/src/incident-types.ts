/** What the incident routes answer (`/v1/ops/incidents…`), as the Incidents page reads it. */
export interface Incident {
  incident_id: string;
  app_id: string;
  rule: string;
  status: string;
  opened_at: string;
  updated_at: string;
  closed_at?: string;
  finding: { summary: string; severity: string; evidence: Record<string, number | string> };
  plan: { action: string; autonomy: string; fallback_action: string; ttl_seconds: number; approval_timeout_seconds: number; throttle_factor: number };
  summary?: string;
  decision?: string;
}

export interface IncidentPage {
  incidents: Incident[];
  next_cursor: string | null;
}

export interface TimelineEntry {
  at: string;
  source: 'incident' | 'notification';
  kind: string;
  action?: string;
  actor?: string;
  detail?: string;
  channel?: string;
  delivery?: string;
}

export interface IncidentDetail {
  incident: Incident;
  timeline: TimelineEntry[];
}

export const INCIDENT_STATES = ['open', 'awaiting_approval', 'mitigated', 'resolved', 'rejected'] as const;

/** A state as people read it (`awaiting_approval` → `awaiting approval`). */
export const label = (word: string): string => word.replace(/_/g, ' ');

export const incidentPath = (incidentId: string): string => `/console/incidents/${encodeURIComponent(incidentId)}`;

/** Told by the page when an incident changed state here, so the header's badge counts again now. */
export const INCIDENTS_CHANGED = 'tessera:incidents-changed';

/** Closed incidents change no more: their page stops asking. */
export const isClosed = (status: string): boolean => status === 'resolved' || status === 'rejected';
