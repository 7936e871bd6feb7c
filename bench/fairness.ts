/**
 * bench:fairness — the quiet app's turn p95 while another app floods, next to the quiet app alone
 * in the same run, with the autopilot and task-queue fairness on, and with both off (each on a
 * fresh stack; the chat worker has few activity slots so the flood makes a backlog).
 * Target: ≤ 1.5× with them on.
 *
 *   npm run bench:fairness [-- --turns 20]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Teardown } from '../src/dev/teardown';
import { workflowIds } from '../src/workflows/contract';
import { flood, openChats, percentile, startOpsBenchStack, timedTurn, type OpsBenchStack } from './support/ops-stack';
import { turnTimelines, type TurnTimeline, type TurnWindow } from './support/turn-timeline';

const TARGET = 1.5;

async function quietTurns(stack: OpsBenchStack, key: string, chatId: string, turns: number): Promise<TurnWindow[]> {
  const windows: TurnWindow[] = [];
  for (let i = 0; i < turns; i++) {
    const from = Date.now();
    const { status } = await timedTurn(stack, key, chatId, `hello ${i}`);
    if (status === 200) windows.push({ from, to: Date.now() });
  }
  return windows;
}

/** The mean of each part of the quiet turns at or above the p90 (where the p95 comes from). */
function slowTail(timelines: TurnTimeline[]): TurnTimeline {
  const cut = percentile(timelines.map((t) => t.totalMs), 90);
  const tail = timelines.filter((t) => t.totalMs >= cut);
  const mean = (pick: (t: TurnTimeline) => number) => Math.round(tail.reduce((sum, t) => sum + pick(t), 0) / tail.length);
  return {
    totalMs: mean((t) => t.totalMs),
    workflowTaskWaitMs: mean((t) => t.workflowTaskWaitMs),
    workflowTaskRunMs: mean((t) => t.workflowTaskRunMs),
    activityWaitMs: mean((t) => t.activityWaitMs),
    activityRunMs: mean((t) => t.activityRunMs),
    otherMs: mean((t) => t.otherMs),
  };
}

interface ModeResult {
  alone: number;
  flooded: number;
  aloneTail: TurnTimeline;
  floodedTail: TurnTimeline;
}

async function mode(on: boolean, turns: number, root: string): Promise<ModeResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-fair-'));
  const teardown = new Teardown((step, error) => process.stderr.write(`stopping ${step}: ${String(error)}\n`));
  try {
    const stack = await startOpsBenchStack({ scratchDir: scratch, toolsDir: path.join(root, '.tools'), teardown, fairness: on, autopilot: on, activitySlots: 4, tokenLatencyMs: 5 });
    const noisy = await stack.createApp('noisy', { tier: 'pro' });
    const quiet = await stack.createApp('quiet', { tier: 'pro' });
    if (on) {
      await stack.call('PUT', '/v1/ops/policies/noisy', stack.adminKey, {
        rules: { noisy_tenant: { autonomy: 'automatic', share: 0.6, min_active_runs: 6, consecutive_samples: 2, ttl_seconds: 3600, throttle_factor: 0.1 } },
      });
    }
    const [quietChat] = await openChats(stack, quiet, 'q', 1);
    const noisyChats = await openChats(stack, noisy, 'n', 40);
    await quietTurns(stack, quiet, quietChat!, 3); // warm-up
    const aloneTurns = await quietTurns(stack, quiet, quietChat!, turns);
    const noise = flood(stack, noisy, noisyChats);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the flood builds its backlog
    const floodedTurns = await quietTurns(stack, quiet, quietChat!, turns);
    await noise.stop();
    const p95 = (windows: TurnWindow[]) => percentile(windows.map((w) => w.to - w.from), 95);
    const timelines = (windows: TurnWindow[]) => turnTimelines(stack.temporal, workflowIds.chat('quiet', quietChat!), windows);
    return {
      alone: p95(aloneTurns),
      flooded: p95(floodedTurns),
      aloneTail: slowTail(await timelines(aloneTurns)),
      floodedTail: slowTail(await timelines(floodedTurns)),
    };
  } finally {
    await teardown.run();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const turnsArg = process.argv.indexOf('--turns');
  const turns = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 20;
  const root = path.resolve(__dirname, '..');
  const results: Record<string, ModeResult & { ratio: number }> = {};
  const parts = (t: TurnTimeline) =>
    `workflow-task wait ${t.workflowTaskWaitMs}, run ${t.workflowTaskRunMs}; activity wait ${t.activityWaitMs}, run ${t.activityRunMs}; other ${t.otherMs} ms`;
  // `--only on|off` measures one mode (while developing).
  const only = process.argv.indexOf('--only');
  const modes = only > 0 ? [process.argv[only + 1] === 'on'] : [true, false];
  for (const on of modes) {
    const result = await mode(on, turns, root);
    const { alone, flooded } = result;
    const label = on ? 'autopilot+fairness on' : 'autopilot+fairness off';
    results[label] = { ...result, ratio: flooded / alone };
    process.stdout.write(`${label}: quiet p95 alone ${alone.toFixed(0)} ms, while flooded ${flooded.toFixed(0)} ms: ${(flooded / alone).toFixed(2)}×\n`);
    process.stdout.write(`  slowest tenth alone:   ${parts(result.aloneTail)}\n  slowest tenth flooded: ${parts(result.floodedTail)}\n`);
  }
  const onRatio = results['autopilot+fairness on']?.ratio;
  if (onRatio !== undefined) process.stdout.write(`\ntarget ≤ ${TARGET}× with them on: ${onRatio <= TARGET ? 'met' : 'MISSED'}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'fairness', turns, results })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
