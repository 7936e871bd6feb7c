/**
 * `chatSession` with one deliberate change in its commands (a timer before anything else): the
 * replay test must report nondeterminism for it, which proves that test can fail.
 */
import { sleep } from '@temporalio/workflow';
import { chatSession as current } from '../../../src/workflows/chat-session';

export async function chatSession(...args: Parameters<typeof current>): ReturnType<typeof current> {
  await sleep('1 second');
  return current(...args);
}
