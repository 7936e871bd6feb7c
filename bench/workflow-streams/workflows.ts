/**
 * The Workflow Streams baseline: Temporal's own way to stream from a workflow. The workflow holds a
 * `WorkflowStream`; its activity calls the model and publishes each token to it (a signal per
 * flush); the benchmark subscribes with polling Updates. Bundled on its own worker and task queue,
 * never into Tessera's workflows.
 */
import { condition, proxyActivities, setHandler, defineSignal } from '@temporalio/workflow';
import { WorkflowStream } from '@temporalio/workflow-streams/workflow';
import type { StreamActivities } from './activities';
import { END_OF_STREAM, FINISH_SIGNAL, TOKENS_TOPIC } from './contract';

const { streamCompletion } = proxyActivities<StreamActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });
const finish = defineSignal(FINISH_SIGNAL);

export async function tokensOverWorkflowStream(prompt: string): Promise<void> {
  const stream = new WorkflowStream();
  let finished = false;
  setHandler(finish, () => {
    finished = true;
  });
  await streamCompletion(prompt);
  stream.topic<string>(TOKENS_TOPIC).publish(END_OF_STREAM);
  // Completing at once would end the subscriber's pending poll before it read the last items.
  await condition(() => finished, '1 minute');
}
