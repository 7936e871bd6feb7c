/**
 * The baseline: the least a Temporal workflow can do per chat turn. Each Update calls one no-op
 * activity (a regular activity, like Tessera's LLM call) and returns its result; the run ends
 * after `maxUpdates` Updates or on the `done` signal. No bookkeeping, no queue, no state.
 */
import { allHandlersFinished, condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BaselineActivities } from '../support/baseline-activities';

const { noop } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 5 },
});

export const bareTurnUpdate = defineUpdate<string, [string]>('bareTurn');
export const doneSignal = defineSignal('done');

export async function bareUpdateWorkflow(input: { maxUpdates: number }): Promise<number> {
  let handled = 0;
  let done = false;
  setHandler(bareTurnUpdate, async (content) => {
    const reply = await noop(content);
    handled++;
    return reply;
  });
  setHandler(doneSignal, () => {
    done = true;
  });
  await condition(() => done || handled >= input.maxUpdates);
  // Deliver the last reply before the run ends.
  await condition(allHandlersFinished);
  return handled;
}
