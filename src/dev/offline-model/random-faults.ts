/**
 * Faults drawn at random per completion (the chaos suite's unreliable model), beside the
 * header-driven ones of failures.ts: a share of calls fails (half answer HTTP 500, half drop the
 * connection part-way through), and a share of the rest stalls part-way through for a while before
 * going on, as an overloaded provider does.
 */
export interface RandomFaults {
  /** Share of completions that fail, 0–1. */
  failRate: number;
  /** Share of the completions that do not fail which pause part-way through, 0–1. */
  stallRate?: number;
  /** How long a stalled completion pauses; default 12 s (longer than the chat worker's 10 s heartbeat timeout). */
  stallMs?: number;
  /** Source of randomness in [0, 1); Math.random by default (a test passes a seeded one). */
  random?: () => number;
}

export type RandomFault = { kind: 'status'; status: number } | { kind: 'midstream' } | { kind: 'stall'; ms: number };

const DEFAULT_STALL_MS = 12_000;

export class BadRandomFaultsError extends Error {
  constructor(message: string) {
    super(`offline model faults: ${message}`);
    this.name = 'BadRandomFaultsError';
  }
}

export function checkRandomFaults(faults: RandomFaults): RandomFaults {
  for (const [name, rate] of [['failRate', faults.failRate], ['stallRate', faults.stallRate ?? 0]] as const) {
    if (!(rate >= 0 && rate <= 1)) throw new BadRandomFaultsError(`${name} must be between 0 and 1, got ${rate}`);
  }
  if (faults.stallMs !== undefined && !(faults.stallMs >= 0)) throw new BadRandomFaultsError(`stallMs must be ≥ 0, got ${faults.stallMs}`);
  return faults;
}

/** The fault one completion gets, or undefined to serve it normally. */
export function drawRandomFault(faults: RandomFaults | undefined): RandomFault | undefined {
  if (!faults) return undefined;
  const random = faults.random ?? Math.random;
  if (random() < faults.failRate) return random() < 0.5 ? { kind: 'status', status: 500 } : { kind: 'midstream' };
  if (random() < (faults.stallRate ?? 0)) return { kind: 'stall', ms: faults.stallMs ?? DEFAULT_STALL_MS };
  return undefined;
}
