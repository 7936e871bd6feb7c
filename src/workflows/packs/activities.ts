/**
 * The pack activities as workflows see them, with their timeouts and retry policies. Run and step
 * bookkeeping is quick (a Mongo read or write and a Redis publish): local activities. Webhook
 * delivery retries with backoff for up to a day, so a receiver that is down for hours still gets
 * the event once it is back.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PackActivities } from '../../activities/packs';

export const packBookkeeping = proxyLocalActivities<PackActivities>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['pack_output_missing', 'pack_bad_prompt', 'pack_reply_missing'],
  },
});

export const webhooks = proxyActivities<PackActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 hour',
    nonRetryableErrorTypes: ['webhook_refused'],
  },
});
