/**
 * The offline model in a child process of its own, for bench:turn-cpu: the model stands in for a
 * provider's servers, so its CPU is not a Tessera process's and must not be counted in the bench
 * process (where `startBenchStack` runs it). The child's command line carries `scratch`, so the
 * run finds it, and reports it as `model`, apart from the total.
 *
 * Run as a script it is the child: it prints the model's URL on its first line of output.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { startOfflineModel } from '../../src/dev/offline-model';
import type { Teardown } from '../../src/dev/teardown';

export async function startModelProcess(scratch: string, teardown: Teardown): Promise<{ url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--scratch', scratch], { stdio: ['ignore', 'pipe', 'inherit'] });
  teardown.add('model process', async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });
  const lines = readline.createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the model process exited (${code}) before it was ready`)));
  });
  return { url };
}

async function serve(): Promise<void> {
  const model = await startOfflineModel({ port: 0, tokenLatencyMs: 0 });
  process.stdout.write(`${model.url}\n`);
  process.once('SIGTERM', () => void model.close().then(() => process.exit(0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) void serve();
