/**
 * Where a start's seconds go: each start-up step's start and end, in milliseconds since this
 * process began (module loading included). With `TESSERA_STARTUP_TRACE=1` the launcher (main.ts) prints the
 * steps on stderr once the API listens, and files them in the log. Steps may overlap (the services
 * start side by side); the report lists them by start time.
 */
export interface TraceStep {
  name: string;
  startMs: number;
  endMs: number;
}

export class StartupTrace {
  readonly steps: TraceStep[] = [];

  /** Times `work` (a promise, or a function run now) as step `name`. */
  async step<T>(name: string, work: Promise<T> | (() => Promise<T> | T)): Promise<T> {
    const startMs = performance.now();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.steps.push({ name, startMs, endMs: performance.now() });
    }
  }

  /** A point in time (a zero-length step): e.g. when main() began, after module loading. */
  mark(name: string): void {
    const now = performance.now();
    this.steps.push({ name, startMs: now, endMs: now });
  }

  /** One line per step: `  start → end  (duration)  name`. */
  report(): string {
    const ms = (value: number) => `${value.toFixed(0).padStart(6)} ms`;
    return [...this.steps]
      .sort((a, b) => a.startMs - b.startMs)
      .map((step) => `${ms(step.startMs)} → ${ms(step.endMs)}  (${ms(step.endMs - step.startMs)})  ${step.name}`)
      .join('\n');
  }

  /** The steps as fields of one log record: name → [start, end] in whole milliseconds. */
  fields(): Record<string, [number, number]> {
    return Object.fromEntries(this.steps.map((step) => [step.name, [Math.round(step.startMs), Math.round(step.endMs)]]));
  }
}

/** The launcher's trace (one start per process). */
export const startupTrace = new StartupTrace();
