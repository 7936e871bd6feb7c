/**
 * `npm run schedules`: creates or updates the analytics Schedules on the configured Temporal
 * (`TEMPORAL_ADDRESS`, default the embedded dev server's port) and prints what it did.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config';
import { ensureSchedules } from './schedules';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}` });
  try {
    const done = await ensureSchedules(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
    for (const [id, what] of Object.entries(done)) process.stdout.write(`${id}: ${what}\n`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`tessera schedules: ${(error as Error).message}\n`);
  process.exit(1);
});
