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
  c50: SidePair<PhaseResult>;
  long: SidePair<PhaseResult>;
}

export interface ChatTurnPlan {
  quick: boolean;
  warmupTurns: number;
  c1Turns: number;
  blocks: number;
  c50Chats: number;
  c50Turns: number;
  longTurns: number;
  /** Turns compared at each end of the long chat. */
  edge: number;
}

const TARGETS = { p50Ratio: 2, c50Errors: 0, longRatio: 1.5 };

interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  turnsPerSec: number;
  errors: number;
}

function stats(result: PhaseResult): LatencyStats {
  const latencies = okLatencies(result);
  return { p50Ms: median(latencies), p99Ms: percentile(latencies, 99), turnsPerSec: throughput(result), errors: errorCount(result) };
}

/** Median of the first and of the last `edge` turns of the (single) long conversation. */
function growth(result: PhaseResult, edge: number): { firstMs: number; lastMs: number; ratio: number } {
  const ok = result.samples.filter((sample) => sample.ok).sort((a, b) => a.turn - b.turn);
  const firstMs = median(ok.slice(0, edge).map((sample) => sample.ms));
  const lastMs = median(ok.slice(-edge).map((sample) => sample.ms));
  return { firstMs, lastMs, ratio: lastMs / firstMs };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const perSec = (value: number) => `${value.toFixed(1)}/s`;
const times = (value: number) => `${value.toFixed(2)}x`;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

function columns(...cells: string[]): string {
  const widths = [12, 12, 18];
  return cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('').trimEnd();
}

function verdict(ok: boolean, target: string, missed: string[], what: string): string {
  if (!ok) missed.push(what);
  return ok ? `ok (target ${target})` : `MISSED (target ${target})`;
}

function latencyTable(pair: SidePair<PhaseResult>, missed: string[], what: string) {
  const t = stats(pair.tessera);
  const b = stats(pair.baseline);
  const p50Ratio = t.p50Ms / b.p50Ms;
  const p99Ratio = t.p99Ms / b.p99Ms;
  const throughputRatio = t.turnsPerSec / b.turnsPerSec;
  const rows: [string, string][] = [
    ['', columns('Tessera', 'baseline', 'Tessera/baseline')],
    ['p50 latency', columns(ms(t.p50Ms), ms(b.p50Ms), times(p50Ratio), verdict(p50Ratio <= TARGETS.p50Ratio, `≤ ${TARGETS.p50Ratio}x`, missed, `${what} p50 ratio`))],
    ['p99 latency', columns(ms(t.p99Ms), ms(b.p99Ms), times(p99Ratio))],
    ['throughput', columns(perSec(t.turnsPerSec), perSec(b.turnsPerSec), times(throughputRatio))],
  ];
  return { rows, t, b, p50Ratio, p99Ratio, throughputRatio };
}

export function reportChatTurn(results: ChatTurnResults, plan: ChatTurnPlan): void {
  const missed: string[] = [];

  const c1 = latencyTable(results.c1, missed, 'c1');
  c1.rows.push(['errors', columns(String(c1.t.errors), String(c1.b.errors))]);
  printTable(
    `concurrency 1: one chat, ${plan.c1Turns} sequential turns after ${plan.warmupTurns} warm-up (${plan.blocks} alternating blocks)`,
    c1.rows,
  );

  const c50 = latencyTable(results.c50, missed, 'c50');
  c50.rows.push([
    'errors',
    columns(
      String(c50.t.errors),
      String(c50.b.errors),
      '',
      verdict(c50.t.errors <= TARGETS.c50Errors, `${TARGETS.c50Errors} errors`, missed, 'c50 errors'),
    ),
  ]);
  printTable(`concurrency ${plan.c50Chats}: ${plan.c50Chats} chats in parallel, ${plan.c50Turns} sequential turns each (2 alternating rounds)`, c50.rows);

  const longT = growth(results.long.tessera, plan.edge);
  const longB = growth(results.long.baseline, plan.edge);
  const last = `${plan.longTurns - plan.edge + 1}-${plan.longTurns}`;
  printTable(`long chat: ${plan.longTurns} sequential turns (Tessera continues as new every 100 turns; baseline: one run, no continue-as-new)`, [
    ['', columns('Tessera', 'baseline')],
    [`median turns 1-${plan.edge}`, columns(ms(longT.firstMs), ms(longB.firstMs))],
    [`median turns ${last}`, columns(ms(longT.lastMs), ms(longB.lastMs))],
    ['last / first', columns(times(longT.ratio), times(longB.ratio), '', verdict(longT.ratio <= TARGETS.longRatio, `Tessera ≤ ${TARGETS.longRatio}x`, missed, 'long-chat ratio'))],
    ['errors', columns(String(errorCount(results.long.tessera)), String(errorCount(results.long.baseline)))],
  ]);

  const errors = [...results.c1.tessera.errorMessages, ...results.c1.baseline.errorMessages, ...results.c50.tessera.errorMessages, ...results.c50.baseline.errorMessages, ...results.long.tessera.errorMessages, ...results.long.baseline.errorMessages];
  if (errors.length > 0) {
    console.log(`\nfirst errors (${errors.length} in all):`);
    for (const message of errors.slice(0, 5)) console.log(`  ${message}`);
  }
  console.log(missed.length === 0 ? '\nall targets met' : `\nMISSED: ${missed.join(', ')}`);

  const side = (s: LatencyStats) => ({ p50Ms: round(s.p50Ms), p99Ms: round(s.p99Ms), turnsPerSec: round(s.turnsPerSec), errors: s.errors });
  const summary = {
    bench: 'chat-turn',
    quick: plan.quick,
    baseline: 'bare workflow, executeUpdateWithStart, 1 no-op activity per Update',
    c1: { turns: plan.c1Turns, tessera: side(c1.t), baseline: side(c1.b), p50Ratio: round(c1.p50Ratio, 2), p99Ratio: round(c1.p99Ratio, 2), throughputRatio: round(c1.throughputRatio, 2) },
    c50: { chats: plan.c50Chats, turnsPerChat: plan.c50Turns, tessera: side(c50.t), baseline: side(c50.b), p50Ratio: round(c50.p50Ratio, 2), p99Ratio: round(c50.p99Ratio, 2), throughputRatio: round(c50.throughputRatio, 2) },
    long: {
      turns: plan.longTurns,
      edge: plan.edge,
      tessera: { firstMs: round(longT.firstMs), lastMs: round(longT.lastMs), ratio: round(longT.ratio, 2) },
      baseline: { firstMs: round(longB.firstMs), lastMs: round(longB.lastMs), ratio: round(longB.ratio, 2) },
    },
    missed,
  };
  console.log(`\n${JSON.stringify(summary)}`);
}
