/** The figures `bench:ttft` prints: a table (issue 21's targets marked) and one JSON line. */
import { percentile, printTable } from '../report';
import type { FloorSample } from './ttft-floor';

export type TtftPath = 'tessera' | 'direct' | 'nondurable';

export interface TtftSamples {
  /** POST → 202 at the client, ms. */
  accepted: number[];
  /** POST → first `message.delta` at the SSE client, ms. */
  firstToken: number[];
  /** POST → `turn.completed` at the SSE client, ms. */
  completed: number[];
  failed: number;
}

export interface TtftResults {
  quick: boolean;
  tokenLatencyMs: number;
  turns: number;
  samples: Record<TtftPath, TtftSamples>;
  /** (c): Temporal alone, message → activity (`ttft-floor.ts`). */
  floor: FloorSample[];
  /** `os.loadavg()` before and after the run, and the machine's cores. */
  load: { before: number[]; after: number[]; cpus: number };
}

/** Issue 21. */
export const TARGETS = { firstTokenAddedP50Ms: 20, firstTokenAddedP99Ms: 60, firstTokenVsNondurable: 1.3 } as const;

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

function summary(values: number[]) {
  return { n: values.length, p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) };
}

type Summary = ReturnType<typeof summary>;

export function reportTtft(results: TtftResults): boolean {
  const of = (path: TtftPath) => ({
    accepted: summary(results.samples[path].accepted),
    first_token: summary(results.samples[path].firstToken),
    completed: summary(results.samples[path].completed),
    failed: results.samples[path].failed,
  });
  const paths = { tessera: of('tessera'), direct: of('direct'), nondurable: of('nondurable') };
  const added = (a: Summary, b: Summary) => ({ p50: round(a.p50 - b.p50), p99: round(a.p99 - b.p99) });
  const ratio = (a: Summary, b: Summary) => ({ p50: round(a.p50 / b.p50), p99: round(a.p99 / b.p99) });
  const figures = {
    first_token: {
      added_over_direct: added(paths.tessera.first_token, paths.direct.first_token),
      nondurable_added_over_direct: added(paths.nondurable.first_token, paths.direct.first_token),
      vs_nondurable: ratio(paths.tessera.first_token, paths.nondurable.first_token),
    },
    completed: {
      added_over_direct: added(paths.tessera.completed, paths.direct.completed),
      nondurable_added_over_direct: added(paths.nondurable.completed, paths.direct.completed),
      vs_nondurable: ratio(paths.tessera.completed, paths.nondurable.completed),
    },
  };
  // The least a durable turn doing (b)'s writes from an activity takes here: (b) plus Temporal's
  // own way to that activity (sums of medians: an estimate at p50, none at p99).
  const temporalFloor = { activity_started: summary(results.floor.map((sample) => sample.activityStarted)), accepted: summary(results.floor.map((sample) => sample.accepted)) };
  const floorFirstToken = round(paths.nondurable.first_token.p50 + temporalFloor.activity_started.p50);
  const floor = {
    first_token_p50: floorFirstToken,
    added_over_direct_p50: round(floorFirstToken - paths.direct.first_token.p50),
    vs_nondurable_p50: round(floorFirstToken / paths.nondurable.first_token.p50),
    tessera_above_floor_p50: round(paths.tessera.first_token.p50 - floorFirstToken),
  };
  const checks = {
    first_token_added_p50: figures.first_token.added_over_direct.p50 <= TARGETS.firstTokenAddedP50Ms,
    first_token_added_p99: figures.first_token.added_over_direct.p99 <= TARGETS.firstTokenAddedP99Ms,
    first_token_vs_nondurable_p50: figures.first_token.vs_nondurable.p50 <= TARGETS.firstTokenVsNondurable,
    no_failed_turns: Object.values(paths).every((path) => path.failed === 0),
  };
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const line = (s: Pick<Summary, 'p50' | 'p99'>) => `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}`;
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' / ');

  printTable(
    `POST /v1/chats/:id/messages?wait=false → SSE client (model paced at ${results.tokenLatencyMs} ms/token, ${results.turns} turns per path, rotating order${results.quick ? ', --quick' : ''})`,
    (['tessera', 'direct', 'nondurable'] as const).flatMap((path): [string, string][] => {
      const name = { tessera: 'Tessera (API + worker + Temporal)', direct: '(a) direct model stream', nondurable: '(b) non-durable, same store writes' }[path];
      const p = paths[path];
      return [
        [`${name}: first token`, line(p.first_token)],
        [`${name}: turn.completed`, `${line(p.completed)}  (${p.completed.n} turns, ${p.failed} failed)`],
        [`${name}: 202 at the client`, line(p.accepted)],
      ];
    }),
  );
  printTable('Tessera against the baselines', [
    ['first token, added over (a)', `p50 ${ms(figures.first_token.added_over_direct.p50)} [target ≤ ${TARGETS.firstTokenAddedP50Ms} ms: ${mark(checks.first_token_added_p50)}]  p99 ${ms(figures.first_token.added_over_direct.p99)} [target ≤ ${TARGETS.firstTokenAddedP99Ms} ms: ${mark(checks.first_token_added_p99)}]`],
    ['first token, / (b)', `p50 ${figures.first_token.vs_nondurable.p50}× [target ≤ ${TARGETS.firstTokenVsNondurable}×: ${mark(checks.first_token_vs_nondurable_p50)}]  p99 ${figures.first_token.vs_nondurable.p99}×`],
    ['turn.completed, added over (a)', `p50 ${ms(figures.completed.added_over_direct.p50)}  p99 ${ms(figures.completed.added_over_direct.p99)}`],
    ['turn.completed, / (b)', `p50 ${figures.completed.vs_nondurable.p50}×  p99 ${figures.completed.vs_nondurable.p99}×`],
    ['(b) first token, added over (a)', line(figures.first_token.nondurable_added_over_direct)],
    ['(b) turn.completed, added over (a)', line(figures.completed.nondurable_added_over_direct)],
  ]);
  // What the floor leaves a durable turn's own work under the target (negative: the target is below it).
  const leaves = (target: number, value: number, unit: string) => `the floor leaves ${(target - value).toFixed(2)}${unit}`;
  printTable(`(c) Temporal alone on this dev server: a bare workflow's Update-with-Start → its one activity runs (${temporalFloor.activity_started.n} Updates)`, [
    ['(c) client call → the activity\'s first line', line(temporalFloor.activity_started)],
    ['(c) client call → Update accepted at the client', line(temporalFloor.accepted)],
    ['floor for a durable turn with (b)\'s writes: (b) + (c), first token', `p50 ≈ ${ms(floor.first_token_p50)}`],
    ['floor, added over (a)', `p50 ≈ ${ms(floor.added_over_direct_p50)} (target ≤ ${TARGETS.firstTokenAddedP50Ms} ms: ${leaves(TARGETS.firstTokenAddedP50Ms, floor.added_over_direct_p50, ' ms')})`],
    ['floor / (b)', `p50 ≈ ${floor.vs_nondurable_p50}× (target ≤ ${TARGETS.firstTokenVsNondurable}×: ${leaves(TARGETS.firstTokenVsNondurable, floor.vs_nondurable_p50, '×')})`],
    ['Tessera above the floor', `p50 ≈ ${ms(floor.tessera_above_floor_p50)}`],
  ]);
  printTable(`machine (${results.load.cpus} cores)`, [
    ['load average 1/5/15 min, before', load(results.load.before)],
    ['load average 1/5/15 min, after', load(results.load.after)],
  ]);
  const ok = Object.values(checks).every(Boolean);
  console.log(
    JSON.stringify({
      bench: 'ttft',
      quick: results.quick,
      token_latency_ms: results.tokenLatencyMs,
      turns: results.turns,
      ms: paths,
      figures,
      temporal_floor: { ms: temporalFloor, ...floor },
      load: { ...results.load, before: results.load.before.map((v) => round(v)), after: results.load.after.map((v) => round(v)) },
      targets: TARGETS,
      checks,
      ok,
    }),
  );
  return ok;
}
