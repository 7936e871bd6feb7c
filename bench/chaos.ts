/**
 * `npm run chaos`: the fault-injection suite of issue 11 on the real embedded stack (two API
 * processes, two chat worker processes), printing one row per fault. Exits 1 if any turn was lost
 * or duplicated, any other check failed, or a process outlived the run.
 *
 *   npm run chaos -- [--apps 10] [--turns 100] [--turns-per-chat 5] [--outage-seconds 10] [--faults kill-workers,stop-redis,...]
 */
import os from 'node:os';
import path from 'node:path';
import { FAULT_NAMES, type FaultName } from './chaos/faults';
import { formatTable, runChaos } from './chaos/runner';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

function positive(name: string, fallback: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const faults = option('faults', FAULT_NAMES.join(',')).split(',');
  const unknown = faults.filter((name) => !(FAULT_NAMES as string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown fault(s) ${unknown.join(', ')}; known: ${FAULT_NAMES.join(', ')}`);
  const started = Date.now();
  const report = await runChaos({
    toolsDir: path.resolve(__dirname, '..', '.tools'),
    faults: faults as FaultName[],
    apps: positive('apps', 10),
    turns: positive('turns', 100),
    turnsPerChat: positive('turns-per-chat', 5),
    outageMs: positive('outage-seconds', 10) * 1000,
    scenarioTimeoutMs: 5 * 60_000,
    log: (line) => console.log(line),
  });
  console.log(`\n${formatTable(report.rows)}`);
  const [load1, load5] = os.loadavg();
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all; load average ${load1?.toFixed(2)} (1 min), ${load5?.toFixed(2)} (5 min); processes left behind: ${report.leftBehind.length === 0 ? 'none' : report.leftBehind.join(', ')}`);
  const clean = report.rows.every((row) => row.lost === 0 && row.duplicated === 0 && row.problems.length === 0) && report.leftBehind.length === 0;
  process.exitCode = clean ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
