/**
 * Waits (up to a cap) until the work a phase left behind has finished: its abandoned turns have
 * settled and no activity is running. Otherwise that work would be timed into the next phase.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function drain(abandoned: readonly Promise<unknown>[], activitiesRunning: () => number, capMs: number): Promise<boolean> {
  const deadline = performance.now() + capMs;
  let settled = abandoned.length === 0;
  void Promise.allSettled(abandoned).then(() => {
    settled = true;
  });
  while (performance.now() < deadline) {
    if (settled && activitiesRunning() === 0) return true;
    await sleep(100);
  }
  return false;
}
