/**
 * A production API process (`src/api/main.ts`), and the launcher run as a worker replica against
 * external services, never generate the secrets replicas and workers must share: without them they
 * exit 78 (like a missing address), name every missing variable, and connect to nothing first.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

// Every service address points at this listener: a connection attempt before the check shows here.
let listener: net.Server;
let port = 0;
let connections = 0;
let dataDir = '';

beforeAll(async () => {
  listener = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as net.AddressInfo).port;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-api-secrets-'));
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function runApi(extra: Record<string, string>, entry = 'src/api/main.ts'): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      MONGODB_URI: `mongodb://127.0.0.1:${port}/tessera`,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      TESSERA_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...extra,
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('tessera-api without the shared secrets', () => {
  it('exits 78 naming every missing secret, before connecting to anything', async () => {
    const { code, stderr } = await runApi({});
    expect(code).toBe(78);
    for (const name of ['TESSERA_ADMIN_KEY', 'TESSERA_JWT_SECRET', 'TESSERA_KEY_PEPPER']) expect(stderr).toContain(name);
    // Without analytics (no CLICKHOUSE_URL) the pseudonym key is not needed.
    expect(stderr).not.toContain('TESSERA_PSEUDONYM_KEY');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(connections).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'secrets'))).toBe(false);
  });

  it('with analytics also needs the pseudonym key; names only what is missing', async () => {
    const { code, stderr } = await runApi({
      CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
      TESSERA_ADMIN_KEY: 'tsa_admin-key-for-the-test',
      TESSERA_JWT_SECRET: 'j'.repeat(32),
    });
    expect(code).toBe(78);
    expect(stderr).toContain('TESSERA_KEY_PEPPER');
    expect(stderr).toContain('TESSERA_PSEUDONYM_KEY');
    expect(stderr).not.toContain('TESSERA_ADMIN_KEY');
    expect(stderr).not.toContain('TESSERA_JWT_SECRET');
    expect(connections).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'secrets'))).toBe(false);
  });
});

describe('the launcher as a worker replica (Temporal, MongoDB and Redis all external)', () => {
  it('exits 78 naming every missing shared secret, the pseudonym key included, and generates none', async () => {
    const { code, stderr } = await runApi({ TESSERA_KEY_PEPPER: 'p'.repeat(32) }, 'src/dev/main.ts');
    expect(code).toBe(78);
    for (const name of ['TESSERA_ADMIN_KEY', 'TESSERA_JWT_SECRET', 'TESSERA_PSEUDONYM_KEY']) expect(stderr).toContain(name);
    expect(stderr).not.toContain('TESSERA_KEY_PEPPER');
    expect(connections).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'secrets'))).toBe(false);
  });
});
