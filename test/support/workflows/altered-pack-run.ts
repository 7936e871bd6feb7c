/**
 * `packRun` with one deliberate change in its commands (a timer before anything else): the pack
 * replay test must report nondeterminism for it, which proves that test can fail.
 */
import { sleep } from '@temporalio/workflow';
import { packRun as current } from '../../../src/workflows/pack-run';

export { packStep } from '../../../src/workflows/pack-step';

export async function packRun(...args: Parameters<typeof current>): ReturnType<typeof current> {
  await sleep('1 second');
  return current(...args);
}
