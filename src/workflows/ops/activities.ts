/** The ops activities as the ops workflows see them, with their timeouts and retry policies. */
import { proxyActivities } from '@temporalio/workflow';
import type { OpsActivities } from '../../activities/ops';

const retry = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10 };

/** Redis and MongoDB reads and writes: quick, retried. */
export const ops = proxyActivities<OpsActivities>({ startToCloseTimeout: '20 seconds', retry });

/** The LLM explanation: bounded (it falls back on its own), tried twice at most. */
export const explain = proxyActivities<OpsActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 2 },
});

/** A notification on one channel: each attempt bounded (a receiver that hangs is cut off), retried
 * with backoff for about four minutes; a receiver that refuses for good (a 4xx, a refused address)
 * fails at once (non-retryable). The delivery workflow records a channel that never succeeded. */
export const deliveries = proxyActivities<OpsActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});
