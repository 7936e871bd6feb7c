/**
 * Everything a process started, stopped in reverse order, once. Used on success, on a failed
 * start-up and on Ctrl-C alike, so no child process or connection outlives its owner.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly report: (step: string, error: unknown) => void) {}

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** Runs every step once, reporting failures without stopping. A second caller (Ctrl-C while a
   * failed start is being undone, say) waits for the same teardown. */
  run(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        this.report(step.name, error);
      }
    }
  }
}
