/**
 * The part of `@temporalio/workflow-streams/workflow` the baseline workflow uses. The package is
 * unpacked at benchmark time into the tools directory (bench/support/stream-wfs-install.ts), where
 * the type-check does not look; the workflow bundler resolves the import to it by an alias.
 */
declare module '@temporalio/workflow-streams/workflow' {
  export class WorkflowStream {
    constructor(priorState?: unknown);
    topic<T = unknown>(name: string): { publish(value: T): void };
  }
}
