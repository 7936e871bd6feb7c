/**
 * The session's turns in the order they will run. A turn waiting here belongs to an Update handler
 * that is blocked until the runner finishes it; `interrupt` and `rollback` put a turn first and
 * cancel the one running.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { SendMessageArgs, TurnReply, TurnStatus } from '../../domain/chat';

export interface QueuedTurn {
  args: SendMessageArgs;
  status: TurnStatus;
  /** Set while it runs; cancelling it stops the turn's activities. */
  scope?: CancellationScope;
  /** How a cancelled turn is settled: kept and marked, or removed. */
  cancelMode?: 'interrupted' | 'rolled_back' | 'cancelled';
  reply?: TurnReply;
  error?: string;
  /** Why a failed turn failed, when it is a known type the caller can act on (`budget_exhausted`). */
  failureType?: string;
}

export class TurnQueue {
  private readonly waiting: QueuedTurn[] = [];
  running: QueuedTurn | undefined;

  get size(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  add(args: SendMessageArgs, onBusy: SendMessageArgs['onBusy']): QueuedTurn {
    const turn: QueuedTurn = { args, status: 'queued' };
    if (this.running && (onBusy === 'interrupt' || onBusy === 'rollback')) {
      this.cancelRunning(onBusy === 'interrupt' ? 'interrupted' : 'rolled_back');
      this.waiting.unshift(turn);
    } else {
      this.waiting.push(turn);
    }
    return turn;
  }

  /** Takes the next turn and marks it running. */
  next(): QueuedTurn | undefined {
    const turn = this.waiting.shift();
    if (turn) {
      turn.status = 'running';
      turn.scope = new CancellationScope();
      this.running = turn;
    }
    return turn;
  }

  finish(turn: QueuedTurn, status: TurnStatus): void {
    turn.status = status;
    turn.scope = undefined;
    if (this.running === turn) this.running = undefined;
  }

  cancelRunning(mode: NonNullable<QueuedTurn['cancelMode']>, turnId?: string): boolean {
    const turn = this.running;
    if (!turn?.scope || (turnId !== undefined && turn.args.turnId !== turnId)) return false;
    turn.cancelMode ??= mode;
    turn.scope.cancel();
    return true;
  }

  /** Ends every waiting turn with the given status (the session is closing). */
  drain(status: TurnStatus, error: string): void {
    for (const turn of this.waiting.splice(0)) {
      turn.status = status;
      turn.error = error;
    }
  }
}
