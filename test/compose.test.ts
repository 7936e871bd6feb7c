/**
 * temporal-docker-compose.yml cannot be started here (no Docker engine), so this keeps it valid by
 * construction: it parses cleanly, has every service Tessera needs with pinned images, health
 * checks, the published ports the README points at, and the search-attribute setup job.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';

const COMPOSE_FILE = path.resolve(__dirname, '..', 'temporal-docker-compose.yml');

interface Service {
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string> | string[];
  ports?: (string | { host_ip?: string; published?: string | number; target: number })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; interval?: string; timeout?: string; retries?: number; disable?: boolean };
  restart?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
const document = parseDocument(text); // duplicate keys are errors with the default options
const compose = document.toJS() as Compose;

const ONE_SHOT = 'temporal-admin-tools';
const LONG_RUNNING = ['postgresql', 'temporal', 'temporal-ui', 'mongodb', 'clickhouse', 'redis'];
const SEARCH_ATTRIBUTES = ['TesseraAppId', 'TesseraUserId', 'TesseraTemplate', 'TesseraKind'];

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`service '${name}' is missing from ${path.basename(COMPOSE_FILE)}`);
  return found;
}

interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** A service's `ports`, short ("127.0.0.1:8233:8080") or long syntax, in one shape. */
function publishedPorts(name: string): PublishedPort[] {
  return (service(name).ports ?? []).map((port) => {
    if (typeof port !== 'string') {
      return { hostIp: port.host_ip ?? '', hostPort: Number(port.published), containerPort: port.target };
    }
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    const [containerPort, hostPort, hostIp] = parts.reverse();
    return { hostIp: hostIp ?? '', hostPort: Number(hostPort), containerPort: Number(containerPort) };
  });
}

/**
 * The `temporal operator search-attribute create` calls in a script, one per line, with their
 * flags, so the checks do not depend on flag order.
 */
function searchAttributeCreations(script: string): Record<string, string>[] {
  return script
    .split('\n')
    .filter((line) => line.includes('temporal operator search-attribute create'))
    .map((line) => {
      const tokens = line.slice(line.indexOf('search-attribute create')).trim().split(/\s+/);
      const flags: Record<string, string> = {};
      tokens.forEach((token, i) => {
        const value = tokens[i + 1];
        if (token.startsWith('--') && value !== undefined) flags[token.slice(2)] = value;
      });
      return flags;
    });
}

/** Every string value anywhere under `node`. */
function allStrings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(allStrings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(allStrings);
  return [];
}

describe('temporal-docker-compose.yml', () => {
  it('parses without errors or warnings and has no obsolete version key', () => {
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    expect(compose).not.toHaveProperty('version');
  });

  it('has every service Tessera needs', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...LONG_RUNNING, ONE_SHOT].sort());
  });

  it.each(LONG_RUNNING)('%s has a health check with a test, interval, timeout and retries', (name) => {
    const check = service(name).healthcheck;
    expect(check?.disable).not.toBe(true);
    expect(check?.test?.length).toBeGreaterThan(0);
    if (Array.isArray(check?.test)) expect(['CMD', 'CMD-SHELL']).toContain(check.test[0]);
    expect(check?.interval).toMatch(/^\d+(ms|s|m)$/);
    expect(check?.timeout).toMatch(/^\d+(ms|s|m)$/);
    expect(check?.retries).toBeGreaterThan(0);
  });

  it.each([
    ['temporal', 7233, 7233],
    ['temporal-ui', 8233, 8080],
    ['mongodb', 27017, 27017],
    ['clickhouse', 8123, 8123],
    ['redis', 6379, 6379],
  ])('%s publishes 127.0.0.1:%i', (name, hostPort, containerPort) => {
    expect(publishedPorts(name)).toContainEqual({ hostIp: '127.0.0.1', hostPort, containerPort });
  });

  it('publishes every port on loopback only', () => {
    const ports = Object.keys(compose.services).flatMap(publishedPorts);
    expect(ports.filter((port) => port.hostIp !== '127.0.0.1')).toEqual([]);
  });

  it('the header tells how to point Tessera at the stack', () => {
    const header = text.slice(0, text.indexOf('\nservices:'));
    for (const line of [
      'TEMPORAL_ADDRESS=127.0.0.1:7233',
      'MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0&directConnection=true',
      'CLICKHOUSE_URL=http://127.0.0.1:8123',
      'REDIS_URL=redis://127.0.0.1:6379',
      'http://127.0.0.1:8233',
    ]) {
      expect(header).toContain(line);
    }
  });

  it('starts Temporal on PostgreSQL once it is healthy, and the UI and setup job once Temporal is', () => {
    expect(service('temporal').depends_on).toMatchObject({ postgresql: { condition: 'service_healthy' } });
    expect(service('temporal').environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(service('temporal-ui').depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
    expect(service('temporal-ui').environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(service(ONE_SHOT).depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
  });

  it('runs MongoDB as the replica set rs0', () => {
    expect(allStrings(service('mongodb').command).join(' ')).toMatch(/--replSet rs0\b/);
    expect(allStrings(service('mongodb').healthcheck?.test).join(' ')).toMatch(/mongosh.*rs\.initiate\(\{\s*_id:\s*'rs0'/s);
  });

  it('the admin-tools job creates all four search attributes as Keyword in default, then exits', () => {
    const job = service(ONE_SHOT);
    const script = allStrings([job.entrypoint, job.command]).join('\n');
    const creations = searchAttributeCreations(script);
    expect(Object.fromEntries(creations.map((flags) => [flags.name, flags.type]))).toEqual(
      Object.fromEntries(SEARCH_ATTRIBUTES.map((name) => [name, 'Keyword'])),
    );
    for (const flags of creations) {
      expect(flags).toMatchObject({ namespace: 'default', address: 'temporal:7233' });
    }
    expect(script).toContain('already exists');
    expect(job.restart).toMatch(/^(no|on-failure(:\d+)?)$/);
    expect(job.healthcheck).toBeUndefined();
  });

  it.each(Object.keys(compose.services))('%s uses an image with an explicit, pinned tag', (name) => {
    const image = service(name).image ?? '';
    const tag = /:([^/:@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
    expect(tag, `image '${image}'`).toBeDefined();
    expect(tag).not.toBe('latest');
  });

  it('pins the versions Tessera is built against', () => {
    expect(service('postgresql').image).toMatch(/^postgres:16(\.|$)/);
    expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:1\.29\.\d+$/);
    expect(service(ONE_SHOT).image).toMatch(/^temporalio\/admin-tools:1\.29\.\d+/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(service('mongodb').image).toMatch(/^mongo:7(\.|$)/);
    expect(service('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:25\./);
    expect(service('redis').image).toMatch(/^redis:7(\.|$)/);
  });

  it('declares every named volume a service mounts', () => {
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'volume' ? volume.source : undefined))
      .filter((source): source is string => !!source && !/^[./~]/.test(source));
    expect(named.length).toBeGreaterThan(0);
    for (const volume of named) expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('escapes every literal $ as $$ so Compose does not interpolate shell variables', () => {
    const unescaped = allStrings(compose.services).filter((value) => value.replaceAll('$$', '').includes('$'));
    expect(unescaped).toEqual([]);
  });
});
