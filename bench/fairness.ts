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
import { flood, openChats, percentile, startOpsBenchStack, timedTurn, type OpsBenchStack } from './support/ops-stack';

const TARGET = 1.5;

async function quietTurns(stack: OpsBenchStack, key: string, chatId: string, turns: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < turns; i++) {
    const { status, ms } = await timedTurn(stack, key, chatId, `hello ${i}`);
    if (status === 200) times.push(ms);
  }
  return times;
}

async function mode(on: boolean, turns: number, root: string): Promise<{ alone: number; flooded: number }> {
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
    const alone = percentile(await quietTurns(stack, quiet, quietChat!, turns), 95);
    const noise = flood(stack, noisy, noisyChats);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the flood builds its backlog
    const flooded = percentile(await quietTurns(stack, quiet, quietChat!, turns), 95);
    await noise.stop();
    return { alone, flooded };
  } finally {
    await teardown.run();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const turnsArg = process.argv.indexOf('--turns');
  const turns = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 20;
  const root = path.resolve(__dirname, '..');
  const results: Record<string, { alone: number; flooded: number; ratio: number }> = {};
  for (const on of [true, false]) {
    const { alone, flooded } = await mode(on, turns, root);
    const label = on ? 'autopilot+fairness on' : 'autopilot+fairness off';
    results[label] = { alone, flooded, ratio: flooded / alone };
    process.stdout.write(`${label}: quiet p95 alone ${alone.toFixed(0)} ms, while flooded ${flooded.toFixed(0)} ms: ${(flooded / alone).toFixed(2)}×\n`);
  }
  const onRatio = results['autopilot+fairness on']!.ratio;
  process.stdout.write(`\ntarget ≤ ${TARGET}× with them on: ${onRatio <= TARGET ? 'met' : 'MISSED'}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'fairness', turns, results })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
