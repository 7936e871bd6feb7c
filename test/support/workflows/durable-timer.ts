/** A workflow that sleeps one hour on a durable timer: proves the harness skips time. */
import { sleep } from '@temporalio/workflow';

export async function sleepOneHour(): Promise<string> {
  await sleep('1 hour');
  return 'woke';
}
