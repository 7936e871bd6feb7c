/** Counts the completions the offline model is serving, so a test can see how many ran at once
 * (e.g. that admission never let more than N turns reach the model together). */
export interface LoadStats {
  /** Completion requests received. */
  requests: number;
  inFlight: number;
  /** Most requests in flight at any one moment since the last reset. */
  maxInFlight: number;
}

export class LoadMeter {
  private stats: LoadStats = { requests: 0, inFlight: 0, maxInFlight: 0 };

  /** Counts one request in; the returned function counts it out (once, however often called). */
  enter(): () => void {
    this.stats.requests++;
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.stats.inFlight--;
    };
  }

  read(): LoadStats {
    return { ...this.stats };
  }

  reset(): void {
    this.stats = { requests: 0, inFlight: this.stats.inFlight, maxInFlight: this.stats.inFlight };
  }
}
