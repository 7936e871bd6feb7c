/**
 * At most `limit` holders at once, admitted strictly in arrival order. Calls `onIdle` when the
 * last holder leaves and nobody waits, so per-key gates can be dropped.
 */
export class FifoGate {
  private holders = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly onIdle: () => void = () => {},
  ) {}

  enter(): Promise<void> {
    if (this.holders < this.limit && this.waiting.length === 0) {
      this.holders++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) {
      next(); // the slot passes straight to the next waiter
      return;
    }
    this.holders--;
    if (this.holders === 0) this.onIdle();
  }
}
