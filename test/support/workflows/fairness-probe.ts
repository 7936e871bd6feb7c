/** One activity per workflow: the order the activities run in shows how the queue dispatched. */
import { proxyActivities } from '@temporalio/workflow';

const { touch } = proxyActivities<{ touch(key: string): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function fairnessProbe(key: string): Promise<void> {
  await touch(key);
}
