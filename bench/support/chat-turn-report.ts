/**
 * Turns the chat-turn phases into the printed tables (Tessera vs baseline, ratios, targets) and the
 * one-line JSON summary. A missed target is marked MISSED, never an error: the run still succeeded.
 */
import { median, percentile, printTable } from '../report';
import { errorCount, okLatencies, throughput, type PhaseResult } from './measure';

export interface SidePair<T> {
  tessera: T;
  baseline: T;
}

export interface ChatTurnResults {
  c1: SidePair<PhaseResult>;
  long: SidePair<PhaseResult>;
  c50: SidePair<PhaseResult>;
  /** The same 50 chats' load spread over `mixedApps` apps. */
  mixed: SidePair<PhaseResult>;
  /** The one-chat, 50-chat and mixed phases again, after other tenants' messages were stored. */
  loaded?: { seededMessages: number; seedMs: number; c1: SidePair<PhaseResult>; c50: SidePair<PhaseResult>; mixed: SidePair<PhaseResult> };
  /** Per phase name: local activity attempts that completed after their timeout. */
  lateLocalActivities: Record<string, number>;
}

export interface ChatTurnPlan {
  quick: boolean;
  warmupTurns: number;
  c1Turns: number;
  /** Parts the one-chat phases are run (and reported) in; drained between parts. */
  blocks: number;
  c50Chats: number;
  c50Turns: number;
  /** Alternating rounds the 50-chat turns are split into. */
  c50Rounds: number;
  /** How many apps the mixed phase spreads its chats over. */
  mixedApps: number;
  longTurns: number;
  /** Turns compared at each end of the long chat. */
  edge: number;
  /** Other tenants' chat messages stored before the loaded phases (0: no loaded phases). */
  seedMessages: number;
  loadedC1Turns: number;
  turnDeadlineMs: number;
  c50RoundBudgetMs: number;
  /** Worker processes for Tessera's chat worker (0: in the benchmark's own process). */
  workers: number;
}

const TARGETS = { c1P50Ratio: 1.5, c50P50Ratio: 2.5, c50ThroughputRatio: 0.4, c50Errors: 0, longRatio: 1.2 };

interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  turnsPerSec: number;
  errors: number;
  unsent: number;
}

function stats(result: PhaseResult): LatencyStats {
  const latencies = okLatencies(result);
  return {
    p50Ms: median(latencies),
    p99Ms: percentile(latencies, 99),
    turnsPerSec: throughput(result),
    errors: errorCount(result),
    unsent: result.unsent,
  };
}

/** Median of the first and of the last `edge` turns of the (single) long conversation. */
function growth(result: PhaseResult, edge: number): { firstMs: number; lastMs: number; ratio: number } {
  const ok = result.samples.filter((sample) => sample.ok).sort((a, b) => a.turn - b.turn);
  const firstMs = median(ok.slice(0, edge).map((sample) => sample.ms));
  const lastMs = median(ok.slice(-edge).map((sample) => sample.ms));
  return { firstMs, lastMs, ratio: lastMs / firstMs };
}

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`);
const perSec = (value: number) => `${value.toFixed(1)}/s`;
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');
const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

function columns(...cells: string[]): string {
  const widths = [12, 12, 18];
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('').trimEnd();
}

class Verdicts {
  readonly missed: string[] = [];

  check(ok: boolean, target: string, what: string): string {
    if (!ok) this.missed.push(what);
    return ok ? `ok (target ${target})` : `MISSED (target ${target})`;
  }
}

function comparison(pair: SidePair<PhaseResult>, verdicts: Verdicts, what: string, targets: { p50: number; throughput?: number }) {
  const t = stats(pair.tessera);
  const b = stats(pair.baseline);
  const p50Ratio = t.p50Ms / b.p50Ms;
  const p99Ratio = t.p99Ms / b.p99Ms;
  const throughputRatio = t.turnsPerSec / b.turnsPerSec;
  const throughputVerdict =
    targets.throughput === undefined ? '' : verdicts.check(throughputRatio >= targets.throughput, `≥ ${targets.throughput}x`, `${what} throughput ratio`);
  const rows: [string, string][] = [
    ['', columns('Tessera', 'baseline', 'Tessera/baseline')],
    ['p50 latency', columns(ms(t.p50Ms), ms(b.p50Ms), times(p50Ratio), verdicts.check(p50Ratio <= targets.p50, `≤ ${targets.p50}x`, `${what} p50 ratio`))],
    ['p99 latency', columns(ms(t.p99Ms), ms(b.p99Ms), times(p99Ratio))],
    ['throughput', columns(perSec(t.turnsPerSec), perSec(b.turnsPerSec), times(throughputRatio), throughputVerdict)],
  ];
  return { rows, t, b, p50Ratio, p99Ratio, throughputRatio };
}

type Comparison = ReturnType<typeof comparison>;

function oneChat(name: string, pair: SidePair<PhaseResult>, turns: number, plan: ChatTurnPlan, verdicts: Verdicts, note = ''): Comparison {
  const c1 = comparison(pair, verdicts, name, { p50: TARGETS.c1P50Ratio });
  c1.rows.push(['errors', columns(String(c1.t.errors), String(c1.b.errors))]);
  printTable(
    `${name}: one chat per side, ${turns} sequential turns${note}, Tessera and baseline turns interleaved; throughput = turns / time spent sending`,
    c1.rows,
  );
  return c1;
}

function concurrent(name: string, pair: SidePair<PhaseResult>, apps: number, plan: ChatTurnPlan, verdicts: Verdicts, late: string, note = ''): Comparison {
  const c = comparison(pair, verdicts, name, { p50: TARGETS.c50P50Ratio, throughput: TARGETS.c50ThroughputRatio });
  c.rows.push(
    ['errors', columns(String(c.t.errors), String(c.b.errors), '', verdicts.check(c.t.errors <= TARGETS.c50Errors, `${TARGETS.c50Errors} errors`, `${name} errors`))],
    [`  of which no reply in ${plan.turnDeadlineMs / 1000} s`, columns(String(timedOut(pair.tessera)), String(timedOut(pair.baseline)))],
    ['turns not sent (budget)', columns(String(c.t.unsent), String(c.b.unsent))],
    ['late local activities', columns(late)],
  );
  const spread = apps === 1 ? 'all in one app' : `spread over ${apps} apps`;
  printTable(
    `${name}: ${plan.c50Chats} chats in parallel (${spread})${note}, up to ${plan.c50Turns} sequential turns each ` +
      `(${plan.c50Rounds} alternating rounds, ${plan.c50RoundBudgetMs / 1000} s budget per round)`,
    c.rows,
  );
  return c;
}

export function reportChatTurn(results: ChatTurnResults, plan: ChatTurnPlan, undrained: readonly string[]): void {
  const verdicts = new Verdicts();
  const late = (phase: string) => String(results.lateLocalActivities[phase] ?? 0);
  const c50Name = `c${plan.c50Chats}`;

  const c1 = oneChat('c1', results.c1, plan.c1Turns, plan, verdicts, ` after ${plan.warmupTurns} warm-up`);
  const c50 = concurrent(c50Name, results.c50, 1, plan, verdicts, late(c50Name));
  const mixed = concurrent('mixed', results.mixed, plan.mixedApps, plan, verdicts, late('mixed'));

  const longT = growth(results.long.tessera, plan.edge);
  const longB = growth(results.long.baseline, plan.edge);
  const lastTurns = `${plan.longTurns - plan.edge + 1}-${plan.longTurns}`;
  printTable(`long chat: ${plan.longTurns} sequential turns, interleaved (Tessera continues as new every 100 turns; baseline: one run, no continue-as-new)`, [
    ['', columns('Tessera', 'baseline')],
    [`median turns 1-${plan.edge}`, columns(ms(longT.firstMs), ms(longB.firstMs))],
    [`median turns ${lastTurns}`, columns(ms(longT.lastMs), ms(longB.lastMs))],
    [
      'last / first',
      columns(times(longT.ratio), times(longB.ratio), '', verdicts.check(longT.ratio <= TARGETS.longRatio, `Tessera ≤ ${TARGETS.longRatio}x`, 'long-chat ratio')),
    ],
    ['errors', columns(String(errorCount(results.long.tessera)), String(errorCount(results.long.baseline)))],
  ]);

  const { loaded } = results;
  let loadedSummary: Record<string, unknown> | undefined;
  if (loaded) {
    const note = ` — after ${loaded.seededMessages} other tenants' messages were stored`;
    const lc1 = oneChat('loaded c1', loaded.c1, plan.loadedC1Turns, plan, verdicts, note);
    const lc50 = concurrent(`loaded ${c50Name}`, loaded.c50, 1, plan, verdicts, late(`loaded ${c50Name}`), note);
    const lmixed = concurrent('loaded mixed', loaded.mixed, plan.mixedApps, plan, verdicts, late('loaded mixed'), note);
    loadedSummary = { seededMessages: loaded.seededMessages, seedSeconds: round(loaded.seedMs / 1000), c1: brief(lc1), c50: brief(lc50), mixed: brief(lmixed) };
  }

  const phases = [results.c1, results.long, results.c50, results.mixed, ...(loaded ? [loaded.c1, loaded.c50, loaded.mixed] : [])];
  const errors = phases.flatMap((pair) => [...pair.tessera.errorMessages, ...pair.baseline.errorMessages]);
  if (errors.length > 0) {
    console.log(`\nfirst errors (${errors.length} in all):`);
    for (const message of errors.slice(0, 5)) console.log(`  ${message}`);
  }
  if (undrained.length > 0) console.log(`\nwork left behind was still running when the next block started, after: ${undrained.join('; ')}`);
  console.log(verdicts.missed.length === 0 ? '\nall targets met' : `\nMISSED: ${verdicts.missed.join(', ')}`);

  const summary = {
    bench: 'chat-turn',
    quick: plan.quick,
    workerProcesses: plan.workers,
    baseline: 'bare workflow, executeUpdateWithStart, 1 no-op activity per Update',
    c1: { turns: plan.c1Turns, ...brief(c1) },
    c50: { chats: plan.c50Chats, apps: 1, turnsPerChat: plan.c50Turns, ...brief(c50), lateLocalActivities: results.lateLocalActivities[c50Name] ?? 0 },
    mixed: { chats: plan.c50Chats, apps: plan.mixedApps, turnsPerChat: plan.c50Turns, ...brief(mixed) },
    long: {
      turns: plan.longTurns,
      edge: plan.edge,
      tessera: { firstMs: round(longT.firstMs), lastMs: round(longT.lastMs), ratio: round(longT.ratio, 2) },
      baseline: { firstMs: round(longB.firstMs), lastMs: round(longB.lastMs), ratio: round(longB.ratio, 2) },
    },
    ...(loadedSummary ? { loaded: loadedSummary } : {}),
    missed: verdicts.missed,
  };
  console.log(`\n${JSON.stringify(summary)}`);
}

function brief(c: Comparison) {
  const side = (s: LatencyStats) => ({ p50Ms: round(s.p50Ms), p99Ms: round(s.p99Ms), turnsPerSec: round(s.turnsPerSec), errors: s.errors, unsent: s.unsent });
  return {
    tessera: side(c.t),
    baseline: side(c.b),
    p50Ratio: round(c.p50Ratio, 2),
    p99Ratio: round(c.p99Ratio, 2),
    throughputRatio: round(c.throughputRatio, 2),
  };
}

function timedOut(result: PhaseResult): number {
  return result.samples.filter((sample) => sample.timedOut).length;
}
