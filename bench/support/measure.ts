/**
 * Drives turns and times them from the caller's side: conversations run in parallel, each sending
 * its turns one after another (the next only after the previous reply), as a user would.
 *
 * Two limits keep an overloaded system from stalling the run: a turn without a reply after
 * `turnDeadlineMs` counts as an error and ends its conversation (the turn itself keeps running and
 * is handed back in `abandoned`), and no new turn starts once `budgetMs` has passed.
 */
import type { TurnSender } from './senders';

export interface TurnSample {
  conversation: string;
  turn: number;
  ms: number;
  ok: boolean;
  /** No reply before the deadline (the turn was abandoned, not failed). */
  timedOut?: boolean;
}

export interface PhaseResult {
  samples: TurnSample[];
  /** Wall-clock time of the phase, for throughput. */
  wallMs: number;
  errorMessages: string[];
  /** Turns planned but never sent (time budget spent, or their conversation timed out). */
  unsent: number;
  /** Sends that passed their deadline and are still running. */
  abandoned: Promise<unknown>[];
}

export interface PhaseLimits {
  turnDeadlineMs: number;
  budgetMs: number;
}

const TIMED_OUT = Symbol('timed out');

export async function runConversations(
  sender: TurnSender,
  conversations: readonly string[],
  turns: { first: number; count: number },
  limits: PhaseLimits,
): Promise<PhaseResult> {
  const result = emptyResult();
  const started = performance.now();
  await Promise.all(
    conversations.map(async (conversation) => {
      for (let turn = turns.first; turn < turns.first + turns.count; turn++) {
        if (performance.now() - started > limits.budgetMs) {
          result.unsent += turns.first + turns.count - turn;
          return;
        }
        const sent = performance.now();
        const sending = sender.send(conversation, turn);
        const outcome = await withDeadline(sending, limits.turnDeadlineMs);
        const ms = performance.now() - sent;
        if (outcome === TIMED_OUT) {
          result.abandoned.push(sending.catch(() => undefined));
          result.samples.push({ conversation, turn, ms, ok: false, timedOut: true });
          result.errorMessages.push(`${sender.name} ${conversation} turn ${turn}: no reply within ${limits.turnDeadlineMs / 1000} s`);
          // A later turn would only queue behind this one.
          result.unsent += turns.first + turns.count - turn - 1;
          return;
        }
        result.samples.push({ conversation, turn, ms, ok: outcome.ok });
        if (!outcome.ok) result.errorMessages.push(`${sender.name} ${conversation} turn ${turn}: ${outcome.message}`);
      }
    }),
  );
  result.wallMs = performance.now() - started;
  return result;
}

async function withDeadline(sending: Promise<void>, ms: number): Promise<{ ok: true } | { ok: false; message: string } | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([
      sending.then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, message: error instanceof Error ? error.message : String(error) }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Two senders on one conversation each, turn by turn: turn n of one side, then turn n of the other
 * (the order flips every turn). Both sides then meet the same machine at the same moments, which
 * matters when comparing a chat's first turns with its last ones. Each side's `wallMs` is the sum
 * of its own turns, so its throughput is that of one user sending back to back.
 */
export async function runInterleaved(
  senders: readonly [TurnSender, TurnSender],
  conversation: string,
  turns: { first: number; count: number },
  limits: PhaseLimits,
): Promise<[PhaseResult, PhaseResult]> {
  const results: [PhaseResult, PhaseResult] = [emptyResult(), emptyResult()];
  const stopped = [false, false];
  for (let turn = turns.first; turn < turns.first + turns.count; turn++) {
    const order = (turn - turns.first) % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of order) {
      const sender = senders[side];
      const result = results[side];
      if (!sender || !result) continue;
      if (stopped[side]) {
        result.unsent++;
        continue;
      }
      const sent = performance.now();
      const sending = sender.send(conversation, turn);
      const outcome = await withDeadline(sending, limits.turnDeadlineMs);
      const ms = performance.now() - sent;
      result.wallMs += ms;
      if (outcome === TIMED_OUT) {
        stopped[side] = true;
        result.abandoned.push(sending.catch(() => undefined));
        result.samples.push({ conversation, turn, ms, ok: false, timedOut: true });
        result.errorMessages.push(`${sender.name} ${conversation} turn ${turn}: no reply within ${limits.turnDeadlineMs / 1000} s`);
        continue;
      }
      result.samples.push({ conversation, turn, ms, ok: outcome.ok });
      if (!outcome.ok) result.errorMessages.push(`${sender.name} ${conversation} turn ${turn}: ${outcome.message}`);
    }
  }
  return results;
}

function emptyResult(): PhaseResult {
  return { samples: [], wallMs: 0, errorMessages: [], unsent: 0, abandoned: [] };
}

export function mergePhases(results: readonly PhaseResult[]): PhaseResult {
  return {
    samples: results.flatMap((result) => result.samples),
    wallMs: results.reduce((sum, result) => sum + result.wallMs, 0),
    errorMessages: results.flatMap((result) => result.errorMessages),
    unsent: results.reduce((sum, result) => sum + result.unsent, 0),
    abandoned: results.flatMap((result) => result.abandoned),
  };
}

export function okLatencies(result: PhaseResult): number[] {
  return result.samples.filter((sample) => sample.ok).map((sample) => sample.ms);
}

export function errorCount(result: PhaseResult): number {
  return result.samples.filter((sample) => !sample.ok).length;
}

/** Successful turns per second of phase wall time. */
export function throughput(result: PhaseResult): number {
  return okLatencies(result).length / (result.wallMs / 1000);
}
