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
