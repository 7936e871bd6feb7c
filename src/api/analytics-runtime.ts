/** What the analytics, ETL-operations and erasure routes need beyond the common runtime. */
import type { Pseudonymize } from '../activities/analytics/pseudonym';
import type { ClickHouseStore } from '../stores/clickhouse';
import { HttpError } from './errors';

export interface AnalyticsRuntime {
  clickhouse: ClickHouseStore;
  pseudonymize: Pseudonymize;
  /** gCO2e per kWh for CO2e figures. */
  gridGramsPerKwh: number;
  /** Task queue of the analytics workflows (tests use their own). */
  taskQueue?: string;
  /** How long `wait=true` waits for an ETL job before answering 202 (default WAIT_FOR_JOB_MS). */
  jobWaitMs?: number;
}

/** Takes any runtime with an optional `analytics` (the `ApiRuntime`), without importing it: runtime.ts imports this module. */
export function requireAnalytics(runtime: { analytics?: AnalyticsRuntime | undefined }): AnalyticsRuntime {
  if (!runtime.analytics) throw new HttpError(503, 'analytics_unavailable', 'this process has no ClickHouse connection');
  return runtime.analytics;
}
