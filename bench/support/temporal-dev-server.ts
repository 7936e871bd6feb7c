/**
 * A headless Temporal dev server for one benchmark run: SQLite file in a scratch directory, quiet
 * logs, Update-with-Start enabled and Tessera's search attributes registered. Ready once the
 * frontend answers a real RPC (an open TCP port comes earlier than that).
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startChildService, type ChildService } from '../../src/dev/child-service';
import { DEV_SERVER_SQLITE_PRAGMAS } from '../../src/dev/embedded-services';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/contract';

export async function startBenchTemporal(opts: { binary: string; dataDir: string; port: number }): Promise<ChildService> {
  const address = `127.0.0.1:${opts.port}`;
  return startChildService({
    name: 'Temporal dev server',
    command: opts.binary,
    args: [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(opts.port),
      '--db-filename',
      path.join(opts.dataDir, 'temporal.sqlite'),
      '--log-level',
      'error',
      ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
      '--dynamic-config-value',
      'frontend.enableExecuteMultiOperation=true',
      ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ],
    ports: [{ port: opts.port, setting: 'the benchmark (it picks free ports itself)' }],
    ready: () => frontendAnswers(address),
    logFile: path.join(opts.dataDir, 'temporal.log'),
    readyTimeoutMs: 90_000,
  });
}

async function frontendAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await connection.close();
  }
}
