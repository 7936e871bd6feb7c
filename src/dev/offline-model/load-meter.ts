/** Counts the completions the offline model is serving, so a test can see how many ran at once
 * (e.g. that admission never let more than N turns reach the model together), and how often each
 * prompt was asked and answered in full (e.g. that a crashed worker's step was not answered twice). */
export interface LoadStats {
  /** Completion requests received. */
  requests: number;
  inFlight: number;
  /** Most requests in flight at any one moment since the last reset. */
  maxInFlight: number;
}

/** One prompt's requests (the last user message identifies it): received, and answered in full. */
export interface PromptCalls {
  requests: number;
  /** Responses the model wrote to the end (a stream through `[DONE]`); the rest were cut short. */
  completed: number;
}

export class LoadMeter {
  private stats: LoadStats = { requests: 0, inFlight: 0, maxInFlight: 0 };
  private prompts = new Map<string, PromptCalls>();

  /** Counts one request in; the returned function counts it out (once, however often called),
   * saying whether the response was written in full. */
  enter(prompt?: string): (completed?: boolean) => void {
    this.stats.requests++;
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    let calls: PromptCalls | undefined;
    if (prompt !== undefined) {
      calls = this.prompts.get(prompt) ?? { requests: 0, completed: 0 };
      calls.requests++;
      this.prompts.set(prompt, calls);
    }
    let left = false;
    return (completed = false) => {
      if (left) return;
      left = true;
      this.stats.inFlight--;
      if (completed && calls) calls.completed++;
    };
  }

  read(): LoadStats {
    return { ...this.stats };
  }

  /** Requests and full answers per prompt since the last reset. */
  byPrompt(): Map<string, PromptCalls> {
    return new Map([...this.prompts].map(([prompt, calls]) => [prompt, { ...calls }]));
  }

  reset(): void {
    this.stats = { requests: 0, inFlight: this.stats.inFlight, maxInFlight: this.stats.inFlight };
    this.prompts = new Map();
  }
}
