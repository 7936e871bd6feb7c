/**
 * What every stack-starting bench does first: a teardown that Ctrl-C (or SIGTERM) also runs, a
 * scratch directory it removes, and the machine's load average noted before the run (these
 * machines are shared; a busy one explains odd figures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Teardown } from '../../src/dev/teardown';

export interface BenchRun {
  teardown: Teardown;
  scratch: string;
  loadBefore: number[];
}

export function startBenchRun(name: string): BenchRun {
  const loadBefore = os.loadavg();
  process.stderr.write(`load average before: ${formatLoad(loadBefore)} (${os.cpus().length} cores)\n`);
  const teardown = new Teardown((step, error) => process.stderr.write(`stopping ${step} failed: ${error instanceof Error ? error.message : String(error)}\n`));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `tessera-bench-${name}-`));
  teardown.add('scratch directory', async () => fs.rmSync(scratch, { recursive: true, force: true }));
  process.once('SIGINT', () => void teardown.run().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void teardown.run().finally(() => process.exit(130)));
  return { teardown, scratch, loadBefore };
}

export const formatLoad = (load: number[]) => load.map((v) => v.toFixed(2)).join(' ');

/** Runs a bench's `main` and exits: 0 when it finished, 1 with the error printed when it threw. */
export function runBenchMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
