/** The analytics activities as workflows see them, with their timeouts and retry policies. They run
 * on the workflow's own task queue (`tessera-analytics` in production). */
import { proxyActivities } from '@temporalio/workflow';
import type { AnalyticsActivities } from '../../activities/analytics';

const retry = { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 };

/** Quick reads (the app list). */
export const lookups = proxyActivities<AnalyticsActivities>({
  startToCloseTimeout: '1 minute',
  retry,
});

/** Long scans: they heartbeat after every committed batch, and a retry resumes after it. */
export const scans = proxyActivities<AnalyticsActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { ...retry, nonRetryableErrorTypes: ['invalid_window', 'price_table_mismatch'] },
});

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
