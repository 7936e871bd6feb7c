/**
 * bench/turn-cpu — CPU time one chat turn costs each process at 50 concurrent chats, Tessera next
 * to the bare baseline (an Update running one no-op activity). CPU seconds do not depend on how
 * busy the machine is the way latencies do, so this shows where Tessera's extra work goes.
 *
 * A third side, non-durable, runs the same turns' work without Temporal (the worker's own
 * `llmStep` in this process, `nondurable-turns.ts`: the stores, the Redis events, the model's
 * stream read): what a turn costs that the bare Update does not do at all. The bare baseline plus
 * that is the floor under any durable turn doing this work on these stores, printed against the
 * ≤ 1.5× target.
 *
 *   npm run bench:turn-cpu [-- --chats 50 --turns 6]
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { Teardown } from '../src/dev/teardown';
import { connectBenchTemporal, startBenchStack } from './support/bench-stack';
import { runConversations } from './support/measure';
import { installQuietRuntime } from './support/runtime-log';
import { nondurableTurns } from './support/nondurable-turns';
import { baselineSender, tesseraSender, userText, type TurnSender } from './support/senders';
import { openTesseraSide } from './support/tessera-side';
import { startModelProcess } from './support/turn-model';
import { redisCommandStats } from './support/turn-redis-stats';
import { startBenchWorkers } from './support/workers';

const root = path.resolve(__dirname, '..');

/** Cumulative CPU seconds of every process, by pid, with its command line. */
function processTimes(): Map<number, { ppid: number; cmd: string; cpu: number }> {
  const ticks = 100; // USER_HZ on Linux
  const out = new Map<number, { ppid: number; cmd: string; cpu: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.set(Number(entry), { ppid: Number(fields[1]), cmd, cpu: (Number(fields[11]) + Number(fields[12])) / ticks });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** This process's CPU seconds by thread kind (`bench:<thread name>`): the JavaScript main thread
 * (activities, clients), the workflow threads, Temporal Core's runtime, libuv, V8's helpers. */
function threadTimes(): Record<string, number> {
  const ticks = 100;
  const out: Record<string, number> = {};
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim().replace(/[-_ ]?\d+$/, '');
      const key = `bench:${name}`;
      out[key] = (out[key] ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** CPU seconds by service: this process and the children this run started (by their scratch dir). */
function cpuByService(scratch: string, ports: string[]): Record<string, number> {
  const all = processTimes();
  const sums: Record<string, number> = { bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6, ...threadTimes() };
  const roots = new Map<number, string>();
  for (const [pid, p] of all) {
    if (!p.cmd.includes(scratch) && !ports.some((port) => p.cmd.includes(`:${port}`))) continue;
    const name = p.cmd.includes('turn-model') ? 'model' : p.cmd.includes('temporal') ? 'temporal' : p.cmd.includes('ferretdb') ? 'ferretdb' : p.cmd.includes('postgres') ? 'postgres' : p.cmd.includes('redis') ? 'redis' : 'other';
    roots.set(pid, name);
  }
  for (const [pid, p] of all) {
    const name = roots.get(pid) ?? roots.get(p.ppid);
    if (name) sums[name] = (sums[name] ?? 0) + p.cpu;
  }
  return sums;
}

function inspectorProfile(file: string) {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  return {
    async start() {
      await post('Profiler.enable');
      await post('Profiler.start');
    },
    async stop() {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(file, JSON.stringify(profile));
      process.stderr.write(`profile: ${file}\n`);
    },
  };
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const chats = arg('--chats', 50);
  const turns = arg('--turns', 6);
  const teardown = new Teardown((step, error) => process.stderr.write(`stopping ${step}: ${String(error)}\n`));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-turn-cpu-'));
  teardown.add('scratch', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  try {
    installQuietRuntime();
    const stack = await startBenchStack({ toolsDir: path.join(root, '.tools'), scratchDir: scratch, teardown });
    const { client, nativeConnection } = await connectBenchTemporal(stack.temporalAddress, teardown);
    // The model runs in a process of its own: a provider's CPU is not Tessera's (see turn-model.ts).
    const model = await startModelProcess(scratch, teardown);
    const tessera = await openTesseraSide({ stack: { ...stack, llmBaseUrl: model.url }, client, taskQueue: 'cpu-tessera', templatesDir: path.join(root, 'templates'), teardown });
    const workers = await startBenchWorkers({ connection: nativeConnection, tessera: { taskQueue: 'cpu-tessera', activities: tessera.activities }, baselineTaskQueue: 'cpu-bare' });
    teardown.add('workers', () => workers.shutdown());
    const sides: Record<string, TurnSender> = {
      tessera: tesseraSender(tessera.chats, { appId: 'bench', userId: 'bench-user', template: tessera.template }),
      baseline: baselineSender(client, { taskQueue: 'cpu-bare', maxUpdates: 100 }),
      nondurable: nondurableSender(nondurableTurns({ activities: tessera.activities, appId: 'bench-nondurable', userId: 'bench-user', template: tessera.template })),
    };
    const ports = [stack.mongoUri, stack.redisUrl].map((url) => new URL(url).port);
    const profile = process.argv.includes('--profile') ? inspectorProfile(path.join(scratch, '..', 'turn-cpu.cpuprofile')) : undefined;
    const limits = { turnDeadlineMs: 60_000, budgetMs: Number.POSITIVE_INFINITY };
    const rows: Record<string, Record<string, number>> = {};
    const redisRows: Record<string, Record<string, number>> = {};
    for (const [side, sender] of Object.entries(sides)) {
      const names = Array.from({ length: chats }, (_, i) => `${side}-${i}`);
      await runConversations(sender, names, { first: 1, count: 1 }, limits); // starts and warms the chats
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const before = cpuByService(scratch, ports);
      const redisBefore = await redisCommandStats(stack.redisUrl);
      if (side === 'tessera' && profile) await profile.start();
      const result = await runConversations(sender, names, { first: 2, count: turns }, limits);
      await new Promise((resolve) => setTimeout(resolve, 2000)); // let trailing work (timers, acks) finish
      const after = cpuByService(scratch, ports);
      const redisAfter = await redisCommandStats(stack.redisUrl);
      if (side === 'tessera' && profile) await profile.stop();
      const done = result.samples.filter((s) => s.ok).length;
      rows[side] = Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k] ?? 0) - (before[k] ?? 0)) * 1000 / done]));
      redisRows[side] = Object.fromEntries(Object.keys(redisAfter).map((k) => [k, ((redisAfter[k] ?? 0) - (redisBefore[k] ?? 0)) / done]));
      rows[side].turns = done;
      rows[side].wallMs = result.wallMs;
    }
    const keys = [...new Set(Object.values(rows).flatMap((r) => Object.keys(r)))];
    const sideNames = Object.keys(sides);
    const line = (label: string, values: number[], digits = 2) => console.log(`${label.padEnd(24)} ${values.map((value) => value.toFixed(digits).padStart(11)).join(' ')}`);
    console.log(`CPU ms per turn, ${chats} chats x ${turns} turns`);
    console.log(`${'service'.padEnd(24)} ${sideNames.map((name) => name.padStart(11)).join(' ')}`);
    for (const key of keys) line(key.startsWith('bench:') ? `  ${key}` : key, sideNames.map((side) => rows[side]?.[key] ?? 0));
    // The processes a deployment runs: the bench process (API's client side and the workers),
    // Temporal, FerretDB, PostgreSQL and Redis; not the model (a provider's) nor its thread rows.
    const total = (row: Record<string, number> | undefined) =>
      ['bench', 'temporal', 'ferretdb', 'postgres', 'redis', 'other'].reduce((sum, key) => sum + (row?.[key] ?? 0), 0);
    const [tesseraMs, bareMs, nondurableMs] = [total(rows.tessera), total(rows.baseline), total(rows.nondurable)];
    line('total (without model)', [tesseraMs, bareMs, nondurableMs]);
    console.log(`ratio (tessera / baseline): ${(tesseraMs / bareMs).toFixed(2)}x`);
    const floor = bareMs + nondurableMs;
    console.log(
      `floor (baseline + non-durable, ${floor.toFixed(1)} ms): ${(floor / bareMs).toFixed(2)}x the baseline ` +
        `(target <= 1.5x: ${floor / bareMs > 1.5 ? 'the target is below this floor' : 'the target is above this floor'}); ` +
        `Tessera above it: ${(tesseraMs - floor).toFixed(1)} ms per turn`,
    );
    console.log(`Redis commands per turn (INFO commandstats)`);
    const commands = [...new Set(Object.values(redisRows).flatMap((r) => Object.keys(r)))].filter((k) => Object.values(redisRows).some((r) => (r[k] ?? 0) >= 0.05));
    for (const key of commands.sort()) line(`  ${key}`, sideNames.map((side) => redisRows[side]?.[key] ?? 0), 1);
    console.log(JSON.stringify({ bench: 'turn-cpu', chats, turns, ms_per_turn: { tessera: tesseraMs, baseline: bareMs, nondurable: nondurableMs, floor }, ratio: tesseraMs / bareMs, floor_ratio: floor / bareMs }));
  } finally {
    await teardown.run();
  }
}

/** The non-durable side: each turn's work run to its end in this process, no Temporal. */
function nondurableSender(turns: ReturnType<typeof nondurableTurns>): TurnSender {
  return {
    name: 'non-durable',
    async send(conversation, turn) {
      await turns.run(conversation, `t_${conversation}_${turn}`, userText(turn));
    },
  };
}

main().then(() => process.exit(0), (error: unknown) => { console.error(error); process.exit(1); });
