/** Config for a whole embedded stack (`npm start`'s) on free loopback ports and a data directory of its own. */
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { freePort } from '../../src/dev/child-service';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export async function embeddedConfig(dataDir: string, extra: Record<string, string> = {}): Promise<Config> {
  const env: Record<string, string> = { TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extra };
  for (const key of ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'FERRETDB_PORT', 'REDIS_PORT', 'OFFLINE_MODEL_PORT']) {
    env[key] ??= String(await freePort());
  }
  return loadConfig(env, REPO_ROOT);
}
