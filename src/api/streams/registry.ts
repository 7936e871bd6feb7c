/**
 * The streams this process is serving: bounded (each holds a Redis connection and a socket), and
 * ended together when the server closes (an open SSE response would otherwise keep `close()`
 * waiting for the client to hang up).
 */
export interface ServedStream {
  /** Ends the stream as the server goes away; the client reconnects elsewhere and resumes. */
  shutdown(): void;
}

export class StreamRegistry {
  private readonly open = new Set<ServedStream>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /** False when the process already serves its maximum. */
  add(stream: ServedStream): boolean {
    if (this.open.size >= this.max) return false;
    this.open.add(stream);
    return true;
  }

  remove(stream: ServedStream): void {
    this.open.delete(stream);
  }

  shutdownAll(): void {
    for (const stream of [...this.open]) stream.shutdown();
  }
}
