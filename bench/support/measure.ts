/**
 * Drives turns and times them from the caller's side: conversations run in parallel, each sending
 * its turns one after another (the next only after the previous reply), as a user would.
 */
import type { TurnSender } from './senders';

export interface TurnSample {
  conversation: string;
  turn: number;
  ms: number;
  ok: boolean;
}

export interface PhaseResult {
  samples: TurnSample[];
  /** Wall-clock time of the phase, for throughput. */
  wallMs: number;
  errorMessages: string[];
}

export async function runConversations(
  sender: TurnSender,
  conversations: readonly string[],
  turns: { first: number; count: number },
): Promise<PhaseResult> {
  const samples: TurnSample[] = [];
  const errorMessages: string[] = [];
  const started = performance.now();
  await Promise.all(
    conversations.map(async (conversation) => {
      for (let turn = turns.first; turn < turns.first + turns.count; turn++) {
        const sent = performance.now();
        let ok = true;
        try {
          await sender.send(conversation, turn);
        } catch (error) {
          ok = false;
          errorMessages.push(`${sender.name} ${conversation} turn ${turn}: ${error instanceof Error ? error.message : String(error)}`);
        }
        samples.push({ conversation, turn, ms: performance.now() - sent, ok });
      }
    }),
  );
  return { samples, wallMs: performance.now() - started, errorMessages };
}

export function mergePhases(results: readonly PhaseResult[]): PhaseResult {
  return {
    samples: results.flatMap((result) => result.samples),
    wallMs: results.reduce((sum, result) => sum + result.wallMs, 0),
    errorMessages: results.flatMap((result) => result.errorMessages),
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
