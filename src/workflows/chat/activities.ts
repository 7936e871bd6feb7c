/**
 * The chat activities as the workflow sees them, each with its timeout and retry policy.
 *
 * Quick bookkeeping writes (Mongo, Redis) run as local activities: they finish in milliseconds and
 * keep a turn to two workflow tasks. The LLM call and tools are regular activities: they can take
 * long, the LLM call heartbeats, and a crashed worker's call is retried on another worker.
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ChatActivities } from '../../activities/chat';

export const bookkeeping = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 20 },
});

export const llm = proxyActivities<ChatActivities>({
  startToCloseTimeout: '3 minutes',
  // Streaming heartbeats on every chunk; a silent worker is presumed dead and the call moves on.
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['llm_bad_request', 'llm_auth'],
  },
});

export const tools = proxyActivities<ChatActivities>({
  startToCloseTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});
