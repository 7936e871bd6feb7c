/**
 * bench/chat-turn — what a Tessera chat turn costs on top of Temporal itself. On one fresh Temporal
 * dev server, with FerretDB, Redis and the offline model (0 ms per token), it times turns sent
 * through `ChatClient.sendMessage` (assistant template) against a bare workflow whose Update calls
 * one no-op activity, sent with Update-with-Start. Both workers share this process.
 *
 *   npm run bench:chat-turn [-- --quick]
 *
 * Phases: 1 chat × sequential turns; 50 chats in parallel; one 200-turn chat (first vs last turns).
 * Tessera and baseline blocks alternate (T B, B T, ...) so machine noise hits both alike. A missed
 * target prints MISSED; only a crash exits non-zero.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startBenchStack } from './support/bench-stack';
import { reportChatTurn, type ChatTurnPlan, type ChatTurnResults, type SidePair } from './support/chat-turn-report';
import { mergePhases, okLatencies, runConversations, type PhaseResult } from './support/measure';
import { median } from './report';
import { baselineSender, tesseraSender, type TurnSender } from './support/senders';
import { Teardown } from './support/teardown';
import { openTesseraSide } from './support/tessera-side';
import { installQuietRuntime, startBenchWorkers } from './support/workers';

const root = path.resolve(__dirname, '..');
const TESSERA_QUEUE = 'bench-tessera-chat';
const BASELINE_QUEUE = 'bench-bare-update';
/** chatSession continues as new every 100 turns; the baseline's runs end after as many Updates. */
const TURNS_PER_RUN = 100;

const FULL: ChatTurnPlan = { quick: false, warmupTurns: 10, c1Turns: 100, blocks: 4, c50Chats: 50, c50Turns: 16, longTurns: 200, edge: 10 };
const QUICK: ChatTurnPlan = { quick: true, warmupTurns: 3, c1Turns: 20, blocks: 2, c50Chats: 50, c50Turns: 2, longTurns: 30, edge: 10 };

type Side = keyof SidePair<unknown>;

/** Runs `blocks` blocks per side, alternating which side goes first (T B, B T, T B, ...). */
async function alternate(phase: string, blocks: number, run: (side: Side, block: number) => Promise<PhaseResult>): Promise<SidePair<PhaseResult>> {
  const done: SidePair<PhaseResult[]> = { tessera: [], baseline: [] };
  for (let block = 0; block < blocks; block++) {
    const order: Side[] = block % 2 === 0 ? ['tessera', 'baseline'] : ['baseline', 'tessera'];
    for (const side of order) {
      const result = await run(side, block);
      done[side].push(result);
      const failed = result.samples.filter((sample) => !sample.ok).length;
      process.stderr.write(
        `${phase} ${block + 1}/${blocks} ${side.padEnd(8)} ${result.samples.length} turns in ${(result.wallMs / 1000).toFixed(1)} s, ` +
          `median ${median(okLatencies(result)).toFixed(1)} ms${failed ? `, ${failed} errors` : ''}\n`,
      );
    }
  }
  return { tessera: mergePhases(done.tessera), baseline: mergePhases(done.baseline) };
}

async function runPhases(plan: ChatTurnPlan, senders: { tessera: TurnSender; baseline: TurnSender; baselineLong: TurnSender }): Promise<ChatTurnResults> {
  const pick = (side: Side) => (side === 'tessera' ? senders.tessera : senders.baseline);

  // Warm-up on the concurrency-1 conversation: starts its workflow, fills caches and connections.
  for (const sender of [senders.tessera, senders.baseline]) {
    await runConversations(sender, ['c1'], { first: 1, count: plan.warmupTurns });
  }
  const perBlock = plan.c1Turns / plan.blocks;
  const c1 = await alternate('c1', plan.blocks, (side, block) =>
    runConversations(pick(side), ['c1'], { first: plan.warmupTurns + 1 + block * perBlock, count: perBlock }),
  );

  const chats = Array.from({ length: plan.c50Chats }, (_, index) => `c50-${index + 1}`);
  const perRound = plan.c50Turns / 2;
  const c50 = await alternate(`c${plan.c50Chats}`, 2, (side, round) =>
    runConversations(pick(side), chats, { first: 1 + round * perRound, count: perRound }),
  );

  const perLongBlock = plan.longTurns / plan.blocks;
  const long = await alternate('long', plan.blocks, (side, block) =>
    runConversations(side === 'tessera' ? senders.tessera : senders.baselineLong, ['long'], { first: 1 + block * perLongBlock, count: perLongBlock }),
  );
  return { c1, c50, long };
}

async function main(): Promise<void> {
  const plan = process.argv.includes('--quick') ? QUICK : FULL;
  const teardown = new Teardown();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-chat-turn-'));
  teardown.add('scratch directory', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  // Ctrl-C: stop what was started, then leave (the phases in flight are abandoned).
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping...\n`);
    void teardown.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    installQuietRuntime();
    process.stderr.write(`starting Temporal dev server, FerretDB, Redis and the offline model (scratch: ${scratch})...\n`);
    const stack = await startBenchStack({ toolsDir: path.join(root, '.tools'), scratchDir: scratch, teardown });
    const connection = await Connection.connect({ address: stack.temporalAddress });
    teardown.add('Temporal client', () => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: stack.temporalAddress });
    teardown.add('Temporal worker connection', () => nativeConnection.close());
    const client = new Client({ connection });

    const tessera = await openTesseraSide({ stack, client, taskQueue: TESSERA_QUEUE, templatesDir: path.join(root, 'templates'), teardown });
    process.stderr.write('bundling workflows and starting workers...\n');
    const workers = await startBenchWorkers({
      connection: nativeConnection,
      tessera: { taskQueue: TESSERA_QUEUE, activities: tessera.activities },
      baselineTaskQueue: BASELINE_QUEUE,
    });
    teardown.add('workers', () => workers.shutdown());

    const senders = {
      tessera: tesseraSender(tessera.chats, { appId: 'bench', userId: 'bench-user', template: tessera.template }),
      baseline: baselineSender(client, { taskQueue: BASELINE_QUEUE, maxUpdates: TURNS_PER_RUN }),
      baselineLong: baselineSender(client, { taskQueue: BASELINE_QUEUE, maxUpdates: plan.longTurns }),
    };
    // A worker that dies would leave every turn waiting: fail the run instead.
    const results = await Promise.race([runPhases(plan, senders), workers.failed]);
    console.log(
      `\nchat-turn benchmark${plan.quick ? ' (--quick)' : ''}: Tessera (assistant template, ${tessera.template.model} on the offline model at 0 ms/token) ` +
        `vs a bare workflow whose Update runs one no-op activity, sent with Update-with-Start (executeUpdateWithStart); ` +
        `one Temporal dev server, both workers in one process; ${os.cpus().length} cores, Node ${process.version}`,
    );
    reportChatTurn(results, plan);
  } finally {
    await teardown.run();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
