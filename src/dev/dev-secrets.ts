/**
 * Secrets the embedded stack generates on first start when none are configured (admin key, JWT
 * secret, pseudonymization key), kept under the data directory so a second start reuses them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function readOrCreateSecret(dataDir: string, name: string, prefix = ''): string {
  const file = path.join(dataDir, 'secrets', name);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = `${prefix}${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
