import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config';
import { PortInUseError } from '../../src/dev/child-service';
import { startStack, type RunningStack } from '../../src/dev/stack';
import { embeddedConfig, REPO_ROOT } from '../support/embedded-config';
import { services } from '../support/services';

const root = REPO_ROOT;
const log = pino({ level: 'silent' });

function isRunning(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the embedded stack', () => {
  let dataDir: string;
  let stack: RunningStack;
  let config: Config;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-stack-'));
    config = await embeddedConfig(dataDir);
    stack = await startStack(config, log);
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /api/health with 200 and every dependency up', async () => {
    const response = await fetch(`${stack.apiUrl}/api/health`);
    const body = (await response.json()) as { status: string; dependencies: Record<string, { status: string; latency_ms: number }> };
    expect(response.status).toBe(200);
    expect(Object.keys(body.dependencies).sort()).toEqual(['clickhouse', 'llm', 'mongodb', 'redis', 'temporal']);
    for (const state of Object.values(body.dependencies)) {
      expect(state.status).toBe('up');
      expect(state.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('serves the Temporal Web UI', async () => {
    expect(stack.webUiUrl).toBeDefined();
    const response = await fetch(`${stack.webUiUrl}/`);
    expect(response.status).toBe(200);
  });

  it('answers unknown routes with the JSON error shape', async () => {
    const response = await fetch(`${stack.apiUrl}/v1/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses a taken port, naming the setting that moves it', async () => {
    const other = await embeddedConfig(fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-stack2-')));
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(other.FERRETDB_PORT, '127.0.0.1', resolve));
    try {
      await expect(startStack(other, log)).rejects.toSatisfy(
        (error: unknown) => error instanceof PortInUseError && error.setting === 'FERRETDB_PORT' && /FERRETDB_PORT/.test(error.message),
      );
    } finally {
      blocker.close();
      fs.rmSync(other.dataDir, { recursive: true, force: true });
    }
  });

  it('stops every child process, and a second start reuses the data', async () => {
    const children = stack.children.map((child) => child.pid);
    expect(children.length).toBe(3);
    const adminKey = stack.adminKey;
    await stack.stop();
    for (const pid of children) expect(isRunning(pid)).toBe(false);

    stack = await startStack(await embeddedConfig(dataDir), log);
    expect(stack.adminKey).toBe(adminKey);
    const response = await fetch(`${stack.apiUrl}/api/health`);
    expect(response.status).toBe(200);
  });
});

describe('the stack with external services', () => {
  it('starts no child process for a service whose address is configured', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-stack-ext-'));
    const config = await embeddedConfig(dataDir);
    const external = loadConfig(
      {
        TESSERA_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        PORT: String(config.PORT),
        TEMPORAL_DEV_PORT: String(config.TEMPORAL_DEV_PORT),
        TEMPORAL_UI_PORT: String(config.TEMPORAL_UI_PORT),
        OFFLINE_MODEL_PORT: String(config.OFFLINE_MODEL_PORT),
        MONGODB_URI: services().mongoUri,
        MONGODB_DB: 'stack_external',
        REDIS_URL: services().redisUrl,
      },
      root,
    );
    const stack = await startStack(external, log);
    try {
      expect(stack.children.map((child) => child.name)).toEqual(['Temporal dev server']);
      expect(stack.embedded).not.toContain('FerretDB');
      expect(stack.embedded).not.toContain('Redis');
      expect((await fetch(`${stack.apiUrl}/api/health`)).status).toBe(200);
    } finally {
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
