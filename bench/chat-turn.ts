/**
 * bench/chat-turn — what a Tessera chat turn costs on top of Temporal itself. On one fresh Temporal
 * dev server, with FerretDB, Redis and the offline model (0 ms per token), it times turns sent
 * through `ChatClient.sendMessage` (assistant template) against a bare workflow whose Update calls
 * one no-op activity, sent with Update-with-Start. Both workers share this process.
 *
 *   npm run bench:chat-turn [-- --quick] [-- --apps <n>]
 *
 * Phases: one chat with sequential turns; one 200-turn chat (first vs last turns); 50 chats in
 * parallel (last, since an overloaded side may leave work behind). In the one-chat phases Tessera
 * and baseline turns interleave one by one (T B, B T, ...), so both meet the same machine at the
 * same moments; the 50-chat rounds alternate (T B, B T), and work a round leaves behind is waited
 * out before the next one. `--apps` spreads the 50 chats over that many apps (default 1:
 * one busy tenant). A missed target prints MISSED; only a crash exits non-zero.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { median } from './report';
import { startBenchStack } from './support/bench-stack';
import { reportChatTurn, type ChatTurnPlan, type ChatTurnResults, type SidePair } from './support/chat-turn-report';
import { drain } from './support/drain';
import { trackInFlight } from './support/in-flight';
import { mergePhases, okLatencies, runConversations, runInterleaved, type PhaseLimits, type PhaseResult } from './support/measure';
import { installQuietRuntime, type RuntimeLog } from './support/runtime-log';
import { baselineSender, tesseraSender, type TurnSender } from './support/senders';
import { Teardown } from '../src/dev/teardown';
import { openTesseraSide } from './support/tessera-side';
import { startBenchWorkers } from './support/workers';

const root = path.resolve(__dirname, '..');
const TESSERA_QUEUE = 'bench-tessera-chat';
const BASELINE_QUEUE = 'bench-bare-update';
/** chatSession continues as new every 100 turns; the baseline's runs end after as many Updates. */
const TURNS_PER_RUN = 100;
const TURN_DEADLINE_MS = 30_000;
const DRAIN_CAP_MS = 45_000;

const FULL: ChatTurnPlan = {
  quick: false,
  warmupTurns: 10,
  c1Turns: 100,
  blocks: 4,
  c50Chats: 50,
  c50Turns: 10,
  c50Apps: 1,
  longTurns: 200,
  edge: 10,
  turnDeadlineMs: TURN_DEADLINE_MS,
  c50RoundBudgetMs: 30_000,
};
// A smoke run: every phase, a fraction of the turns (and 10 chats instead of 50).
const QUICK: ChatTurnPlan = { ...FULL, quick: true, warmupTurns: 3, c1Turns: 20, blocks: 2, c50Chats: 10, c50Turns: 2, longTurns: 30, c50RoundBudgetMs: 15_000 };

type Side = keyof SidePair<unknown>;

interface Senders {
  tessera: TurnSender;
  /** One per app for the 50-chat phase; the first is `tessera`. */
  tesseraByApp: TurnSender[];
  baseline: TurnSender;
  baselineLong: TurnSender;
}

class PhaseRunner {
  /** Phases whose leftover work was still running when the next block started. */
  readonly undrained: string[] = [];
  /** Per phase: local activity attempts that completed after their timeout. */
  private readonly lateLocalActivities: Record<string, number> = {};
  private leftBehind: { by: string; abandoned: Promise<unknown>[] } = { by: 'warm-up', abandoned: [] };

  constructor(
    private readonly plan: ChatTurnPlan,
    private readonly senders: Senders,
    private readonly tesseraActivitiesRunning: () => number,
    private readonly log: RuntimeLog,
  ) {}

  async run(): Promise<ChatTurnResults> {
    const { plan, senders } = this;
    const unlimited: PhaseLimits = { turnDeadlineMs: plan.turnDeadlineMs, budgetMs: Number.POSITIVE_INFINITY };

    // Warm-up on the concurrency-1 conversation: starts its workflows, fills caches and connections.
    await runInterleaved([senders.tessera, senders.baseline], 'c1', { first: 1, count: plan.warmupTurns }, unlimited);
    const c1 = await this.interleaved('c1', 'c1', senders.baseline, { first: plan.warmupTurns + 1, count: plan.c1Turns });
    const long = await this.interleaved('long', 'long', senders.baselineLong, { first: 1, count: plan.longTurns });

    const chats = Array.from({ length: plan.c50Chats }, (_, index) => `c50-${index + 1}`);
    const perRound = plan.c50Turns / 2;
    const limits: PhaseLimits = { turnDeadlineMs: plan.turnDeadlineMs, budgetMs: plan.c50RoundBudgetMs };
    const c50 = await this.alternate(`c${plan.c50Chats}`, 2, async (side, round) => {
      const turns = { first: 1 + round * perRound, count: perRound };
      if (side === 'baseline') return runConversations(senders.baseline, chats, turns, limits);
      // Chat i belongs to app i mod apps; each app's chats run side by side with the others'.
      const apps = senders.tesseraByApp.length;
      const byApp = senders.tesseraByApp.map((sender, app) =>
        runConversations(sender, chats.filter((_, index) => index % apps === app), turns, limits),
      );
      const parts = await Promise.all(byApp);
      return { ...mergePhases(parts), wallMs: Math.max(...parts.map((part) => part.wallMs)) };
    });
    return { c1, long, c50, lateLocalActivities: { ...this.lateLocalActivities } };
  }

  /** One conversation per side, turn by turn (see `runInterleaved`), in `plan.blocks` parts. */
  private async interleaved(name: string, conversation: string, baseline: TurnSender, turns: { first: number; count: number }): Promise<SidePair<PhaseResult>> {
    const done: SidePair<PhaseResult[]> = { tessera: [], baseline: [] };
    const lateBefore = this.log.lateLocalActivities;
    const { blocks } = this.plan;
    const perBlock = turns.count / blocks;
    const limits: PhaseLimits = { turnDeadlineMs: this.plan.turnDeadlineMs, budgetMs: Number.POSITIVE_INFINITY };
    for (let block = 0; block < blocks; block++) {
      await this.settle();
      const [tessera, bare] = await runInterleaved([this.senders.tessera, baseline], conversation, { first: turns.first + block * perBlock, count: perBlock }, limits);
      done.tessera.push(tessera);
      done.baseline.push(bare);
      this.progress(name, `${block + 1}/${blocks}`, 'tessera', tessera);
      this.progress(name, `${block + 1}/${blocks}`, 'baseline', bare);
      this.leftBehind = { by: `${name} ${block + 1}/${blocks}`, abandoned: [...tessera.abandoned, ...bare.abandoned] };
    }
    this.lateLocalActivities[name] = this.log.lateLocalActivities - lateBefore;
    return { tessera: mergePhases(done.tessera), baseline: mergePhases(done.baseline) };
  }

  /** Runs `blocks` blocks per side, alternating which side goes first (T B, B T, T B, ...). */
  private async alternate(name: string, blocks: number, run: (side: Side, block: number) => Promise<PhaseResult>): Promise<SidePair<PhaseResult>> {
    const done: SidePair<PhaseResult[]> = { tessera: [], baseline: [] };
    const lateBefore = this.log.lateLocalActivities;
    for (let block = 0; block < blocks; block++) {
      const order: Side[] = block % 2 === 0 ? ['tessera', 'baseline'] : ['baseline', 'tessera'];
      for (const side of order) {
        await this.settle();
        const result = await run(side, block);
        done[side].push(result);
        this.progress(name, `${block + 1}/${blocks}`, side, result);
        this.leftBehind = { by: `${name} ${block + 1}/${blocks} ${side}`, abandoned: result.abandoned };
      }
    }
    this.lateLocalActivities[name] = this.log.lateLocalActivities - lateBefore;
    return { tessera: mergePhases(done.tessera), baseline: mergePhases(done.baseline) };
  }

  /** Before a block: waits out what the previous block left running (never after the last one). */
  private async settle(): Promise<void> {
    const { by, abandoned } = this.leftBehind;
    if (await drain(abandoned, this.tesseraActivitiesRunning, DRAIN_CAP_MS)) return;
    this.undrained.push(by);
    process.stderr.write(`  (work left by ${by} was still running after ${DRAIN_CAP_MS / 1000} s; going on)\n`);
  }

  private progress(name: string, block: string, side: Side, result: PhaseResult): void {
    const failed = result.samples.filter((sample) => !sample.ok).length;
    process.stderr.write(
      `${name} ${block} ${side.padEnd(8)} ${result.samples.length} turns in ${(result.wallMs / 1000).toFixed(1)} s, ` +
        `median ${median(okLatencies(result)).toFixed(1)} ms` +
        `${failed ? `, ${failed} errors` : ''}${result.unsent ? `, ${result.unsent} not sent` : ''}\n`,
    );
  }
}

function parsePlan(argv: readonly string[]): ChatTurnPlan {
  const plan = argv.includes('--quick') ? QUICK : FULL;
  const at = argv.indexOf('--apps');
  if (at < 0) return plan;
  const apps = Number(argv[at + 1]);
  if (!Number.isInteger(apps) || apps < 1 || apps > plan.c50Chats) throw new Error(`--apps needs an integer from 1 to ${plan.c50Chats}`);
  return { ...plan, c50Apps: apps };
}

/** Set by Ctrl-C (or SIGTERM): the run is being stopped on purpose, not crashing. */
let interrupted = false;

async function main(): Promise<void> {
  const plan = parsePlan(process.argv.slice(2));
  const teardown = new Teardown((step, error) =>
    process.stderr.write(`stopping ${step} failed: ${error instanceof Error ? error.message : String(error)}\n`),
  );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-chat-turn-'));
  teardown.add('scratch directory', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  // Ctrl-C: stop what was started, then leave (the phases in flight are abandoned).
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping...\n`);
    void teardown.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const log = installQuietRuntime();
    process.stderr.write(`starting Temporal dev server, FerretDB, Redis and the offline model (scratch: ${scratch})...\n`);
    const stack = await startBenchStack({ toolsDir: path.join(root, '.tools'), scratchDir: scratch, teardown });
    const connection = await Connection.connect({ address: stack.temporalAddress });
    teardown.add('Temporal client', () => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: stack.temporalAddress });
    teardown.add('Temporal worker connection', () => nativeConnection.close());
    const client = new Client({ connection });

    const tessera = await openTesseraSide({ stack, client, taskQueue: TESSERA_QUEUE, templatesDir: path.join(root, 'templates'), teardown });
    const tracked = trackInFlight(tessera.activities);
    process.stderr.write('bundling workflows and starting workers...\n');
    const workers = await startBenchWorkers({
      connection: nativeConnection,
      tessera: { taskQueue: TESSERA_QUEUE, activities: tracked.activities },
      baselineTaskQueue: BASELINE_QUEUE,
    });
    teardown.add('workers', () => workers.shutdown());

    const tesseraByApp = Array.from({ length: plan.c50Apps }, (_, app) =>
      tesseraSender(tessera.chats, { appId: app === 0 ? 'bench' : `bench-${app + 1}`, userId: 'bench-user', template: tessera.template }),
    );
    const senders: Senders = {
      tessera: tesseraSender(tessera.chats, { appId: 'bench', userId: 'bench-user', template: tessera.template }),
      tesseraByApp,
      baseline: baselineSender(client, { taskQueue: BASELINE_QUEUE, maxUpdates: TURNS_PER_RUN }),
      baselineLong: baselineSender(client, { taskQueue: BASELINE_QUEUE, maxUpdates: plan.longTurns }),
    };
    const runner = new PhaseRunner(plan, senders, tracked.count, log);
    // Turns abandoned at their deadline may still be calling the server at the end: cancel them
    // before the connection closes.
    const sends = new AbortController();
    setMaxListeners(0, sends.signal); // every call in flight listens: 50 chats are more than 10
    teardown.add('abandoned turns', async () => sends.abort());
    // A worker that dies would leave every turn waiting: fail the run instead.
    const results = await Promise.race([connection.withAbortSignal(sends.signal, () => runner.run()), workers.failed]);
    console.log(
      `\nchat-turn benchmark${plan.quick ? ' (--quick)' : ''}: Tessera (assistant template, ${tessera.template.model} on the offline model at 0 ms/token) ` +
        `vs a bare workflow whose Update runs one no-op activity, sent with Update-with-Start (executeUpdateWithStart); ` +
        `one Temporal dev server, both workers in one process; ${os.cpus().length} cores, Node ${process.version}`,
    );
    reportChatTurn(results, plan, runner.undrained);
  } finally {
    await teardown.run();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Stopped by a signal: the phases fail as their workers go away; that is not a crash.
    if (interrupted) process.exit(130);
    console.error(error);
    process.exit(1);
  },
);
