/**
 * The session's inactivity deadline with one durable timer per idle period, instead of a timer
 * started and cancelled around every turn (two history events and two timer writes per turn).
 *
 * The timer is set for the deadline as known when it starts (last activity + timeout). When it
 * fires and the chat was active meanwhile, it starts again for what is left; when a turn is running
 * it stops, and the session loop starts it again once idle. So a chat that talks every few seconds
 * with a 30-minute timeout starts one timer per 30 minutes.
 */
import { sleep } from '@temporalio/workflow';

/** `patched()` id of this behaviour: histories recorded before it keep the timer per turn. */
export const IDLE_CLOCK_PATCH = 'chat-idle-timer-per-period';

export class IdleClock {
  private lastActiveAt = Date.now();
  private timerRunning = false;
  /** The chat stayed idle for the whole timeout. */
  expired = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly isIdle: () => boolean,
  ) {}

  /** The session is idle from now on (a turn ended, or the run started): the deadline moves. */
  idleFromNow(): void {
    this.lastActiveAt = Date.now();
    this.expired = false;
    this.start();
  }

  private start(): void {
    if (this.timerRunning) return;
    this.timerRunning = true;
    const left = Math.max(1, this.lastActiveAt + this.timeoutMs - Date.now());
    void sleep(left).then(
      () => {
        this.timerRunning = false;
        if (!this.isIdle()) return; // the loop starts it again when the running turn ends
        if (Date.now() - this.lastActiveAt >= this.timeoutMs) this.expired = true;
        else this.start();
      },
      () => {
        // Cancelled with the workflow: nothing to close.
        this.timerRunning = false;
      },
    );
  }
}
