/**
 * Everything a benchmark started, stopped in reverse order. Used on success, on error and on
 * Ctrl-C alike, so no child process or temp directory outlives the run.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** Runs every step once (a second call finds nothing left), reporting failures without stopping. */
  async run(): Promise<void> {
    const steps = this.steps.splice(0).reverse();
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        process.stderr.write(`stopping ${step.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  }
}
