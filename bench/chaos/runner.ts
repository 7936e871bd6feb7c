/**
 * The chaos suite: one stack (stack.ts), its apps, then for each fault a fresh load of chats and a
 * pack run with the fault injected mid-flight; the harness restarts what was killed, waits for the
 * clients, checks the invariants (checks.ts) and reports one row per fault. At the end the stack is
 * stopped and every process it ever started must be gone.
 *
 * Recovery time, per row: from the fault's end (the killed process gone, the stopped service
 * answering again, the model's faults switched off) to the first turn a client saw end after it
 * ("first turn"), and to the moment every turn in flight at the fault's end had ended ("in flight").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiPool } from './clients';
import { checkScenario, readCounters } from './checks';
import { FAULTS, type FaultName } from './faults';
import { startLoad, type ChaosApp, type TurnRecord } from './load';
import { startChaosStack, type ChaosStack } from './stack';

export interface ChaosOptions {
  toolsDir: string;
  faults: FaultName[];
  apps: number;
  turns: number;
  turnsPerChat: number;
  outageMs: number;
  /** Per scenario: clients give up after this long. */
  scenarioTimeoutMs: number;
  /** Progress lines (none by default). */
  log?: (line: string) => void;
}

export interface ChaosRow {
  fault: string;
  turns: number;
  lost: number;
  duplicated: number;
  /** ms from the fault's end to the first turn ending after it; undefined if none did. */
  recoveryFirstMs: number | undefined;
  /** ms from the fault's end until every turn then in flight had ended. */
  recoveryInFlightMs: number | undefined;
  /** Turns sent and not yet ended at the fault's end (shows the fault met work in flight). */
  inFlight: number;
  streamResumes: number;
  problems: string[];
}

export interface ChaosReport {
  rows: ChaosRow[];
  /** Pids of the stack's processes still alive after it stopped (should be none). */
  leftBehind: string[];
}

/** Lets the last writes of turns the clients saw end (session totals) land before counting. */
const SETTLE_MS = 2_000;
const THINK_MS = 1_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chaos-'));
  const rows: ChaosRow[] = [];
  let stack: ChaosStack | undefined;
  let failed = false;
  let leftBehind: string[] = [];
  try {
    log(`starting the stack in ${dir}`);
    stack = await startChaosStack({ toolsDir: options.toolsDir, dir });
    const apps = await createApps(stack, options.apps);
    log(`${apps.length} apps; API ${stack.apiUrls.join(' and ')}`);
    for (const [index, name] of options.faults.entries()) {
      const fault = FAULTS[name];
      log(`fault ${index + 1}/${options.faults.length}: ${fault.name}`);
      rows.push(await runScenario(stack, apps, `s${index + 1}`, fault, options));
      const row = rows.at(-1) as ChaosRow;
      log(`  ${row.turns} turns, ${row.lost} lost, ${row.duplicated} duplicated${row.problems.length ? `\n    ${row.problems.slice(0, 20).join('\n    ')}` : ''}`);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    const pids = stack?.pids() ?? [];
    await stack?.stop();
    leftBehind = await processesLeft(pids, dir);
    if (leftBehind.length > 0) log(`left behind: ${leftBehind.join(', ')}`);
    // Logs stay for a look when something went wrong.
    if (!failed && rows.every((row) => row.lost === 0 && row.duplicated === 0 && row.problems.length === 0) && leftBehind.length === 0) {
      fs.rmSync(dir, { recursive: true, force: true });
    } else {
      log(`logs kept in ${dir}`);
    }
  }
  return { rows, leftBehind };
}

async function createApps(stack: ChaosStack, count: number): Promise<ChaosApp[]> {
  const pool = new ApiPool(stack.apiUrls, Date.now() + 60_000);
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const appId = `chaos-app-${String(index + 1).padStart(2, '0')}`;
      const created = await pool.call('POST', '/v1/apps', stack.adminKey, { app_id: appId, name: appId, tier: 'pro' }, index);
      if (created.status !== 201) throw new Error(`creating ${appId}: ${created.status} ${JSON.stringify(created.body)}`);
      return { appId, key: String(created.body.api_key) };
    }),
  );
}

async function runScenario(stack: ChaosStack, apps: ChaosApp[], label: string, fault: (typeof FAULTS)[FaultName], options: ChaosOptions): Promise<ChaosRow> {
  const appIds = apps.map((app) => app.appId);
  const countersBefore = await readCounters(stack, appIds);
  const pool = new ApiPool(stack.apiUrls, Date.now() + options.scenarioTimeoutMs);
  const load = startLoad(pool, { label, apps, turns: options.turns, turnsPerChat: options.turnsPerChat, thinkMs: THINK_MS, deadline: pool.deadline });
  const end = await fault.inject({ stack, load, turns: options.turns, outageMs: options.outageMs, log: options.log ?? (() => undefined) });
  const [run] = await Promise.all([load.done, end.restarts]);
  await sleep(SETTLE_MS);
  const checked = await checkScenario(stack, run, countersBefore);
  return {
    fault: fault.name,
    turns: checked.turns,
    lost: checked.lost,
    duplicated: checked.duplicated,
    ...recovery(run.turns, end.endedAt),
    streamResumes: run.streams.reduce((total, stream) => total + stream.resumes, 0),
    problems: checked.problems,
  };
}

function recovery(turns: TurnRecord[], faultEnd: number): Pick<ChaosRow, 'recoveryFirstMs' | 'recoveryInFlightMs' | 'inFlight'> {
  const endedAfter = turns.flatMap((turn) => (turn.endedAt !== undefined && turn.endedAt >= faultEnd ? [turn.endedAt] : []));
  const inFlight = turns.filter((turn) => turn.sentAt !== undefined && turn.sentAt < faultEnd && (turn.endedAt === undefined || turn.endedAt >= faultEnd));
  const first = endedAfter.length > 0 ? Math.min(...endedAfter) - faultEnd : undefined;
  const allEnded = inFlight.every((turn) => turn.endedAt !== undefined);
  const last = inFlight.length === 0 ? 0 : allEnded ? Math.max(...inFlight.map((turn) => turn.endedAt as number)) - faultEnd : undefined;
  return { recoveryFirstMs: first, recoveryInFlightMs: last, inFlight: inFlight.length };
}

/** Pids still alive, and any process whose command line names the scratch directory. */
async function processesLeft(pids: number[], dir: string): Promise<string[]> {
  // A killed child may take a moment to be reaped.
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = [...pids.filter(alive).map((pid) => `pid ${pid}`), ...namingDir(dir)];
    if (left.length === 0 || attempt === 49) return left;
    await sleep(100);
  }
  return [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namingDir(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir)) found.push(`pid ${entry} (${cmdline.slice(0, 80)})`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The table of issue 11: fault, turns, lost, duplicated, recovery time. */
export function formatTable(rows: ChaosRow[]): string {
  const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const header = ['fault', 'turns', 'lost', 'duplicated', 'recovery: first turn', 'recovery: in flight', 'in flight at fault end', 'stream resumes'];
  const body = rows.map((row) => [
    row.fault,
    String(row.turns),
    String(row.lost),
    String(row.duplicated),
    seconds(row.recoveryFirstMs),
    seconds(row.recoveryInFlightMs),
    String(row.inFlight),
    String(row.streamResumes),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...body.map(line)].join('\n');
}
