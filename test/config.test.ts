import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('applies embedded defaults when nothing is set', () => {
    const config = loadConfig({}, '/srv/tessera');
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.PORT).toBe(8080);
    expect(config.dataDir).toBe('/srv/tessera/.data');
  });

  it('parses external addresses and lists', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      MONGODB_URI: 'mongodb://db:27017/?replicaSet=rs0',
      CLICKHOUSE_URL: 'http://ch:8123',
      REDIS_URL: 'redis://cache:6379/0',
      TESSERA_HTTP_ALLOWLIST: 'example.com, *.wikipedia.org',
      PORT: '9000',
    });
    expect(config.TEMPORAL_ADDRESS).toBe('temporal.internal:7233');
    expect(config.PORT).toBe(9000);
    expect(config.TESSERA_HTTP_ALLOWLIST).toEqual(['example.com', '*.wikipedia.org']);
  });

  it.each([
    ['TEMPORAL_ADDRESS', 'not-a-url'],
    ['MONGODB_URI', 'http://db'],
    ['CLICKHOUSE_URL', 'ch:8123'],
    ['REDIS_URL', 'localhost'],
    ['OPENAI_BASE_URL', 'api.openai.com'],
    ['PORT', '70000'],
    ['TESSERA_JWT_SECRET', 'short'],
    ['LOG_LEVEL', 'loud'],
  ])('names %s when its value %j is bad', (variable, value) => {
    let caught: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((issue) => issue.variable)).toEqual([variable]);
    expect((caught as Error).message).toContain(variable);
  });

  it('never echoes a secret back in the error', () => {
    expect(() => loadConfig({ TESSERA_JWT_SECRET: 'tiny-secret' })).toThrow(/\*\*\*/);
    expect(() => loadConfig({ TESSERA_JWT_SECRET: 'tiny-secret' })).not.toThrow(/tiny-secret/);
  });
});

describe('npm start with a bad setting', () => {
  it('exits non-zero naming the variable, before starting anything', () => {
    const root = path.resolve(__dirname, '..');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/dev/main.ts'], {
      cwd: root,
      env: { ...process.env, TEMPORAL_ADDRESS: 'not-a-url' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('TEMPORAL_ADDRESS');
  });
});
