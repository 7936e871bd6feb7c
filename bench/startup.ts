/**
 * bench/startup — how long a warm `npm start` takes until /api/health is 200, next to how long the
 * Temporal dev server alone takes to answer, measured in the same run on the same machine.
 *
 *   npm run bench:startup [-- --runs 3]
 *
 * "Warm" means tools installed and the data directory already initialised (one unmeasured start
 * first). Both sides are started as fresh processes each run and stopped with SIGTERM. Also timed:
 * Node.js loading Tessera's modules and exiting (a floor no start can beat), and the CPU each tree
 * has used when it answers (on few cores a start is bound by CPU, not by waiting).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { freePort, tcpAnswers } from '../src/dev/child-service';
import { toolPaths } from '../src/dev/embedded-services';
import { median, printTable } from './report';
import { treeCpuMs } from './support/process-cpu';

/** One start: wall time until it answers, and the CPU its process tree had used by then. */
interface StartTime {
  wallMs: number;
  cpuMs: number;
}

const root = path.resolve(__dirname, '..');
const START_ENTRY = 'dist/start/src/dev/main.js';
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up in ${timeoutMs} ms`);
    await sleep(25);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
  await exited;
}

async function tesseraWarmStart(dataDir: string): Promise<StartTime> {
  const ports = {
    PORT: await freePort(),
    TEMPORAL_DEV_PORT: await freePort(),
    TEMPORAL_UI_PORT: await freePort(),
    FERRETDB_PORT: await freePort(),
    REDIS_PORT: await freePort(),
    OFFLINE_MODEL_PORT: await freePort(),
  };
  const env = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const started = performance.now();
  // What scripts/start.sh runs after its installs: the launcher compiled to JavaScript.
  const child = spawn(process.execPath, ['--max-semi-space-size=64', START_ENTRY], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${ports.PORT}/api/health`)).status === 200, 'Tessera');
    return { wallMs: performance.now() - started, cpuMs: treeCpuMs(child.pid ?? -1) };
  } finally {
    await stop(child);
  }
}

async function temporalAlone(dataDir: string): Promise<StartTime> {
  const port = await freePort();
  const uiPort = await freePort();
  const started = performance.now();
  const child = spawn(
    toolPaths(path.join(root, '.tools')).temporal,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--db-filename', path.join(dataDir, 'temporal.sqlite'), '--log-level', 'error'],
    { stdio: 'ignore' },
  );
  try {
    // The port first, then one RPC on a fresh connection: a gRPC channel that met a refused port
    // backs off for a second before it retries, which would time the backoff, not the server.
    await waitUntil(() => tcpAnswers(port), 'Temporal dev server port');
    await waitUntil(async () => {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    }, 'Temporal dev server');
    return { wallMs: performance.now() - started, cpuMs: treeCpuMs(child.pid ?? -1) };
  } finally {
    await stop(child);
  }
}

/** The floor under any start of Tessera: Node.js loading its modules (the launcher's, the stack's,
 * the worker SDK), compiled and from the compile cache as `npm start` loads them, nothing else. */
async function modulesAlone(): Promise<StartTime> {
  const started = performance.now();
  const load = "require('./dist/start/src/compile-cache.js'); require('./dist/start/src/dev/stack.js'); require('@temporalio/worker'); const u = process.cpuUsage(); console.log((u.user + u.system) / 1000)";
  const child = spawn(process.execPath, ['-e', load], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`loading the modules failed (exit ${code})`);
  return { wallMs: performance.now() - started, cpuMs: Number(output.trim()) };
}

async function main(): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-startup-'));
  const tesseraData = path.join(scratch, 'tessera');
  const temporalData = path.join(scratch, 'temporal');
  fs.mkdirSync(temporalData, { recursive: true });
  try {
    execFileSync('bash', [path.join(root, 'scripts/compile-start.sh')], { stdio: 'inherit' });
    process.stderr.write('warming up (first start initialises the data directories)...\n');
    await tesseraWarmStart(tesseraData);
    await temporalAlone(temporalData);
    await modulesAlone();
    const tessera: StartTime[] = [];
    const temporal: StartTime[] = [];
    const modules: StartTime[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate them so machine noise hits each alike.
      temporal.push(await temporalAlone(temporalData));
      modules.push(await modulesAlone());
      tessera.push(await tesseraWarmStart(tesseraData));
      process.stderr.write(`run ${i + 1}/${runs}: tessera ${tessera.at(-1)?.wallMs.toFixed(0)} ms, temporal alone ${temporal.at(-1)?.wallMs.toFixed(0)} ms, modules alone ${modules.at(-1)?.wallMs.toFixed(0)} ms\n`);
    }
    const wall = (starts: StartTime[]) => median(starts.map((start) => start.wallMs));
    const cpu = (starts: StartTime[]) => median(starts.map((start) => start.cpuMs));
    const cores = os.availableParallelism();
    printTable(`startup (median of ${runs} warm starts; ${cores} cores)`, [
      ['Temporal dev server alone, until it answers', `${wall(temporal).toFixed(0)} ms (CPU ${cpu(temporal).toFixed(0)} ms)`],
      ['Tessera npm start, until /api/health is 200', `${wall(tessera).toFixed(0)} ms (CPU ${cpu(tessera).toFixed(0)} ms, all its processes)`],
      ['ratio (Tessera / Temporal alone)', `${(wall(tessera) / wall(temporal)).toFixed(2)}x`],
      ['Node.js loading Tessera\'s modules, nothing else (the floor)', `${wall(modules).toFixed(0)} ms (CPU ${cpu(modules).toFixed(0)} ms): ${(wall(modules) / wall(temporal)).toFixed(2)}x the dev server`],
      ['Tessera\'s CPU / cores (no start on this machine beats it)', `${(cpu(tessera) / cores).toFixed(0)} ms`],
    ]);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
