// The domain pieces the ops activities share (one import line for each module).
export { planPlaybook, plainSummary, parseSuggestion } from '../../domain/ops';
export type { Finding, IncidentStep, OpsAction, PlaybookPlan } from '../../domain/ops';
export type { IncidentChanges } from '../../stores/incidents';
