/** Names shared by the Workflow Streams baseline's workflow, its activity and the benchmark (no imports:
 * the workflow bundle and the benchmark process both load it). */
export const WFS_TASK_QUEUE = 'bench-workflow-streams';
export const WFS_WORKFLOW = 'tokensOverWorkflowStream';
export const TOKENS_TOPIC = 'tokens';
/** Published by the workflow once the activity has streamed every token. */
export const END_OF_STREAM = '\u0004';
/** Signal the benchmark sends once it has read END_OF_STREAM, so the workflow may complete. */
export const FINISH_SIGNAL = 'finish';
