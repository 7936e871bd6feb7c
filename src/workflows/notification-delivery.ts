/**
 * `notificationDelivery` (`notify:{app_id}:{notification_id}`): delivers one notification on each of
 * its channels at once, each with its own retries (src/workflows/ops/activities.ts); a channel whose
 * retries run out is recorded as failed, the others are not held back. Started (and not awaited) by
 * the dispatching activity, so neither a slow nor a failing channel holds up the playbook.
 */
import type { NotificationDeliveryInput, NotificationDeliveryResult } from './ops-contract';
import { deliveries, ops } from './ops/activities';

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
