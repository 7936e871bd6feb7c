/**
 * bench/chat-turn — what a Tessera chat turn costs on top of Temporal itself. On one fresh Temporal
 * dev server, with FerretDB, Redis and the offline model (0 ms per token), it times turns sent
 * through `ChatClient.sendMessage` (assistant template) against a bare workflow whose Update calls
 * one no-op activity, sent with Update-with-Start. Both workers share this process.
 *
 *   npm run bench:chat-turn [-- --quick] [-- --workers <n>]
 *
 * Phases: one chat with sequential turns; one 200-turn chat (first vs last turns); 50 chats in
 * parallel in one app; 50 chats spread over 10 apps (mixed); then, after 100k chat messages of
 * other tenants are stored, the one-chat, 50-chat and mixed phases again (loaded). In the
 * one-chat phases Tessera and baseline turns interleave one by one (T B, B T, ...), so both meet
 * the same machine at the same moments; the 50-chat rounds alternate (T B, B T), and work a round
 * leaves behind is waited out before the next one. `--workers <n>` runs Tessera's chat worker in n
 * worker processes (as `TESSERA_WORKER_PROCESSES` does for `npm start`) instead of in this one.
 * A missed target prints MISSED; only a crash exits non-zero.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from './report';
import { connectBenchTemporal, startBenchStack } from './support/bench-stack';
import { reportChatTurn, type ChatTurnPlan, type ChatTurnResults, type SidePair } from './support/chat-turn-report';
import { drain } from './support/drain';
import { trackInFlight } from './support/in-flight';
import { mergePhases, okLatencies, runConversations, runInterleaved, type PhaseLimits, type PhaseResult } from './support/measure';
import { installQuietRuntime, type RuntimeLog } from './support/runtime-log';
import { baselineSender, tesseraSender, type TurnSender } from './support/senders';
import { Teardown } from '../src/dev/teardown';
import { openTesseraSide } from './support/tessera-side';
import { seedOtherTenants } from './support/seed-tenants';
import { startBenchWorkers } from './support/workers';
import { startWorkerProcesses } from '../src/workers/worker-processes';
import { BENCH_DB, BENCH_REDIS_PREFIX } from './support/tessera-side';

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
  // 4 rounds of 5 turns per chat, alternating sides: the 50-chat ratios of two rounds moved by
  // ±0.05 from run to run (the baseline alone by ±20% between phases of one run).
  c50Turns: 20,
  c50Rounds: 4,
  mixedApps: 10,
  longTurns: 200,
  edge: 10,
  seedMessages: 100_000,
  loadedC1Turns: 40,
  turnDeadlineMs: TURN_DEADLINE_MS,
  c50RoundBudgetMs: 30_000,
  workers: 0,
};
// A smoke run: every phase, a fraction of the turns (and 10 chats instead of 50, 10k seeded messages).
const QUICK: ChatTurnPlan = {
  ...FULL,
  quick: true,
  warmupTurns: 3,
  c1Turns: 20,
  blocks: 2,
  c50Chats: 10,
  c50Turns: 2,
  c50Rounds: 2,
  longTurns: 30,
  seedMessages: 10_000,
  loadedC1Turns: 10,
  c50RoundBudgetMs: 15_000,
};

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

  async run(seed: () => Promise<{ messages: number; ms: number }>): Promise<ChatTurnResults> {
    const { plan, senders } = this;
    const unlimited: PhaseLimits = { turnDeadlineMs: plan.turnDeadlineMs, budgetMs: Number.POSITIVE_INFINITY };

    // Warm-up on the concurrency-1 conversation: starts its workflows, fills caches and connections.
    await runInterleaved([senders.tessera, senders.baseline], 'c1', { first: 1, count: plan.warmupTurns }, unlimited);
    const c1 = await this.interleaved('c1', 'c1', senders.baseline, { first: plan.warmupTurns + 1, count: plan.c1Turns });
    const long = await this.interleaved('long', 'long', senders.baselineLong, { first: 1, count: plan.longTurns });
    const c50 = await this.concurrent(`c${plan.c50Chats}`, 'c50', 1);
    const mixed = await this.concurrent('mixed', 'mix', plan.mixedApps);
    if (plan.seedMessages === 0) return { c1, long, c50, mixed, lateLocalActivities: { ...this.lateLocalActivities } };

    process.stderr.write(`storing ${plan.seedMessages} chat messages of other tenants...\n`);
    const seeded = await seed();
    process.stderr.write(`  stored in ${(seeded.ms / 1000).toFixed(1)} s\n`);
    const c1First = plan.warmupTurns + plan.c1Turns + 1;
    const loaded = {
      seededMessages: seeded.messages,
      seedMs: seeded.ms,
      c1: await this.interleaved('loaded c1', 'c1', senders.baseline, { first: c1First, count: plan.loadedC1Turns }),
      c50: await this.concurrent(`loaded c${plan.c50Chats}`, 'c50-loaded', 1),
      mixed: await this.concurrent('loaded mixed', 'mix-loaded', plan.mixedApps),
    };
    return { c1, long, c50, mixed, loaded, lateLocalActivities: { ...this.lateLocalActivities } };
  }

  /** `plan.c50Chats` new chats in parallel, chat i in app i mod `apps`; the baseline runs as many. */
  private async concurrent(name: string, prefix: string, apps: number): Promise<SidePair<PhaseResult>> {
    const { plan, senders } = this;
    const chats = Array.from({ length: plan.c50Chats }, (_, index) => `${prefix}-${index + 1}`);
    const perRound = plan.c50Turns / plan.c50Rounds;
    const limits: PhaseLimits = { turnDeadlineMs: plan.turnDeadlineMs, budgetMs: plan.c50RoundBudgetMs };
    return this.alternate(name, plan.c50Rounds, async (side, round) => {
      const turns = { first: 1 + round * perRound, count: perRound };
      if (side === 'baseline') return runConversations(senders.baseline, chats, turns, limits);
      // Each app's chats run side by side with the others'.
      const byApp = senders.tesseraByApp.slice(0, apps).map((sender, app) =>
        runConversations(sender, chats.filter((_, index) => index % apps === app), turns, limits),
      );
      const parts = await Promise.all(byApp);
      return { ...mergePhases(parts), wallMs: Math.max(...parts.map((part) => part.wallMs)) };
    });
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
  const at = argv.indexOf('--workers');
  if (at < 0) return plan;
  const workers = Number(argv[at + 1]);
  if (!Number.isInteger(workers) || workers < 0 || workers > 16) throw new Error('--workers needs an integer from 0 to 16');
  return { ...plan, workers };
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
    const { connection, client, nativeConnection } = await connectBenchTemporal(stack.temporalAddress, teardown);

    const tessera = await openTesseraSide({ stack, client, taskQueue: TESSERA_QUEUE, templatesDir: path.join(root, 'templates'), teardown });
    const tracked = trackInFlight(tessera.activities);
    process.stderr.write('bundling workflows and starting workers...\n');
    const workers = await startBenchWorkers({
      connection: nativeConnection,
      ...(plan.workers === 0 ? { tessera: { taskQueue: TESSERA_QUEUE, activities: tracked.activities } } : {}),
      baselineTaskQueue: BASELINE_QUEUE,
    });
    teardown.add('workers', () => workers.shutdown());
    let workersFailed = workers.failed;
    if (plan.workers > 0) {
      const processes = await startWorkerProcesses(plan.workers, {
        temporalAddress: stack.temporalAddress,
        namespace: 'default',
        taskQueue: TESSERA_QUEUE,
        mongoUri: stack.mongoUri,
        mongoDb: BENCH_DB,
        redisUrl: stack.redisUrl,
        redisKeyPrefix: BENCH_REDIS_PREFIX,
        llm: { baseUrl: stack.llmBaseUrl, apiKey: 'offline' },
        httpAllowlist: [],
      });
      teardown.add('worker processes', () => processes.stop());
      workersFailed = Promise.race([workers.failed, processes.failed]);
    }

    const tesseraByApp = Array.from({ length: plan.mixedApps }, (_, app) =>
      tesseraSender(tessera.chats, { appId: app === 0 ? 'bench' : `bench-${app + 1}`, userId: 'bench-user', template: tessera.template }),
    );
    const senders: Senders = {
      tessera: tesseraSender(tessera.chats, { appId: 'bench', userId: 'bench-user', template: tessera.template }),
      tesseraByApp,
      baseline: baselineSender(client, { taskQueue: BASELINE_QUEUE, maxUpdates: TURNS_PER_RUN }),
      baselineLong: baselineSender(client, { taskQueue: BASELINE_QUEUE, maxUpdates: plan.longTurns }),
    };
    const seed = async () => {
      const seeded = await seedOtherTenants(await tessera.mongo.dbFor('seeded'), { messages: plan.seedMessages, apps: 100 });
      return { messages: plan.seedMessages, ms: seeded.ms };
    };
    // Activities in worker processes are not counted here: a block then waits only for abandoned turns.
    const runner = new PhaseRunner(plan, senders, plan.workers === 0 ? tracked.count : () => 0, log);
    // Turns abandoned at their deadline may still be calling the server at the end: cancel them
    // before the connection closes.
    const sends = new AbortController();
    setMaxListeners(0, sends.signal); // every call in flight listens: 50 chats are more than 10
    teardown.add('abandoned turns', async () => sends.abort());
    // A worker that dies would leave every turn waiting: fail the run instead.
    const results = await Promise.race([connection.withAbortSignal(sends.signal, () => runner.run(seed)), workersFailed]);
    console.log(
      `\nchat-turn benchmark${plan.quick ? ' (--quick)' : ''}: Tessera (assistant template, ${tessera.template.model} on the offline model at 0 ms/token) ` +
        `vs a bare workflow whose Update runs one no-op activity, sent with Update-with-Start (executeUpdateWithStart); ` +
        `one Temporal dev server, ${plan.workers === 0 ? 'both workers in one process' : `Tessera's chat worker in ${plan.workers} worker processes`}; ${os.cpus().length} cores, Node ${process.version}`,
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
