/**
 * `notificationDelivery` (`notify:{app_id}:{notification_id}`): delivers one notification on each of
 * its channels at once, each with its own retries (src/workflows/ops/activities.ts); a channel whose
 * retries run out is recorded as failed, the others are not held back. Started (and not awaited) by
 * the dispatching activity, so neither a slow nor a failing channel holds up the playbook.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { OpsActivities } from '../activities/ops';
import type { NotificationDeliveryInput, NotificationDeliveryResult } from './ops-contract';
import { ops } from './ops/activities';

/** A notification on one channel: each attempt bounded (a receiver that hangs is cut off), retried
 * with backoff for about four minutes; a receiver that refuses for good (a 4xx, a refused address,
 * an unreadable secret) fails at once (non-retryable), and the channel is recorded as failed. */
const deliveries = proxyActivities<OpsActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

export async function notificationDelivery(input: NotificationDeliveryInput): Promise<NotificationDeliveryResult> {
  const delivered: string[] = [];
  const failed: string[] = [];
  await Promise.all(
    input.channels.map(async (channel) => {
      try {
        await deliveries.deliverNotification({ appId: input.appId, notificationId: input.notificationId, channel, notice: input.notice });
        delivered.push(channel);
      } catch (error) {
        failed.push(channel);
        const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
        await ops.recordNotificationFailure({ appId: input.appId, notificationId: input.notificationId, channel, error: cause });
      }
    }),
  );
  return { delivered: delivered.sort(), failed: failed.sort() };
}
