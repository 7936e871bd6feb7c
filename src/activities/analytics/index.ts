/**
 * The activities of the `tessera-analytics` task queue, built from real clients. They touch chDB,
 * so in the embedded stack they run in the launcher process that opened it.
 */
import { aggregateDay, aggregateHour } from './aggregate';
import type { AnalyticsDeps } from './deps';
import { etlWindow, listEtlApps, type EtlWindowInput } from './etl';
import { listRetentionApps, retainApp, type RetainAppInput } from './retention';
import { etlWorkflowRuns } from './workflow-runs';

export type { AnalyticsDeps } from './deps';
export type { EtlWindowInput, EtlWindowResult, EtlMode, EtlSource } from './etl';
export type { AggregateDayResult, AggregateHourResult } from './aggregate';
export type { RetainAppInput, RetainAppResult } from './retention';

export function createAnalyticsActivities(deps: AnalyticsDeps) {
  return {
    listEtlApps: () => listEtlApps(deps),
    etlWindow: (input: EtlWindowInput) => etlWindow(deps, input),
    aggregateHour: (hour: string) => aggregateHour(deps, hour),
    aggregateDay: (day: string) => aggregateDay(deps, day),
    etlWorkflowRuns: (window: { from: string; to: string }) => etlWorkflowRuns(deps, window),
    listRetentionApps: () => listRetentionApps(deps),
    retainApp: (input: RetainAppInput) => retainApp(deps, input),
  };
}

export type AnalyticsActivities = ReturnType<typeof createAnalyticsActivities>;
