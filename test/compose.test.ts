/**
 * temporal-docker-compose.yml cannot be started here (no Docker engine), so this keeps it valid by
 * construction: it parses cleanly, has every service Tessera needs with pinned images, health
 * checks, the published ports the README points at, the search-attribute setup job, the
 * OpenTelemetry collector, and Tessera's API and worker built from the repo's Dockerfile (which is
 * checked here too: pinned Node 20 base, non-root, an entry point that exists).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '..');
const COMPOSE_FILE = path.join(REPO, 'temporal-docker-compose.yml');
const DOCKERFILE = path.join(REPO, 'Dockerfile');

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
  build?: string | { context?: string; dockerfile?: string };
  configs?: (string | { source: string; target?: string })[];
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
  [key: string]: unknown;
}

const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
const document = parseDocument(text); // duplicate keys are errors with the default options
const compose = document.toJS() as Compose;

const ONE_SHOT = 'temporal-admin-tools';
/** One-shot job copying a static busybox for the collector's health check (its image has no shell). */
const PROBE_JOB = 'otel-probe';
const TESSERA = ['tessera-api', 'tessera-worker'];
const LONG_RUNNING = ['postgresql', 'temporal', 'temporal-ui', 'mongodb', 'clickhouse', 'redis', 'otel-collector', ...TESSERA];
/** Where Tessera's containers find the other services (compose service names, container ports). */
const TESSERA_ADDRESSES = {
  TEMPORAL_ADDRESS: 'temporal:7233',
  MONGODB_URI: 'mongodb://mongodb:27017/?replicaSet=rs0&directConnection=true',
  CLICKHOUSE_URL: 'http://clickhouse:8123',
  REDIS_URL: 'redis://redis:6379',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
  HOST: '0.0.0.0',
};
/** Secrets every API and worker must share: required from the host (`${NAME:?message}`). */
const REQUIRED_SECRETS = ['TESSERA_ADMIN_KEY', 'TESSERA_JWT_SECRET', 'TESSERA_KEY_PEPPER', 'TESSERA_PSEUDONYM_KEY'];
/** Optional settings taken from the host with a default (`${NAME:-default}`). */
const OPTIONAL_FROM_HOST = ['TESSERA_PUBLIC_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'LOG_LEVEL'];
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

function environment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The healthcheck test as one string (`CMD` / `CMD-SHELL` dropped). */
function healthTest(name: string): string {
  const test = service(name).healthcheck?.test ?? [];
  return (Array.isArray(test) ? test.slice(1) : [test]).join(' ');
}

interface DockerInstruction {
  keyword: string;
  args: string;
}

/** A Dockerfile's instructions, continuation lines joined, comments and blank lines dropped. */
function dockerInstructions(source: string): DockerInstruction[] {
  const lines = source.split('\n').filter((line) => !/^\s*#/.test(line));
  return lines
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfileText = fs.existsSync(DOCKERFILE) ? fs.readFileSync(DOCKERFILE, 'utf8') : '';
const dockerfile = dockerInstructions(dockerfileText);

/** The images of every `FROM`, with `${ARG}` references replaced by the ARG's default. */
function baseImages(): string[] {
  const args = new Map<string, string>();
  const images: string[] = [];
  for (const { keyword, args: rest } of dockerfile) {
    if (keyword === 'ARG') {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(rest);
      if (match?.[1] && match[2]) args.set(match[1], match[2]);
    }
    if (keyword === 'FROM') {
      const image = rest.replace(/^--platform=\S+\s+/, '').split(/\s+/)[0] ?? '';
      images.push(image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_all, name: string) => args.get(name) ?? `<unset ${name}>`));
    }
  }
  return images;
}

/** Stage names (`FROM … AS name`), which are not base images. */
function stageNames(): string[] {
  return dockerfile
    .filter((instruction) => instruction.keyword === 'FROM')
    .map((instruction) => / AS (\S+)$/i.exec(instruction.args)?.[1] ?? '')
    .filter((name) => name !== '');
}

/** The final stage's instructions. */
function finalStage(): DockerInstruction[] {
  const lastFrom = dockerfile.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return dockerfile.slice(lastFrom);
}

/** JSON (exec) form `["a", "b"]` of CMD and friends. */
function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`not exec form: ${args}`);
  return parsed as string[];
}

/** The script entry point of a `node [flags] file` command: the first argument naming a .ts or .js file. */
function entryPoint(command: readonly string[]): string | undefined {
  return command.find((arg) => /\.(ts|js|mjs|cjs)$/.test(arg) && !arg.startsWith('-'));
}

describe('temporal-docker-compose.yml', () => {
  it('parses without errors or warnings and has no obsolete version key', () => {
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    expect(compose).not.toHaveProperty('version');
  });

  it('has every service Tessera needs', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...LONG_RUNNING, ONE_SHOT, PROBE_JOB].sort());
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
    ['otel-collector', 4317, 4317],
    ['otel-collector', 4318, 4318],
    ['tessera-api', 8080, 8080],
  ])('%s publishes 127.0.0.1:%i', (name, hostPort, containerPort) => {
    expect(publishedPorts(name)).toContainEqual({ hostIp: '127.0.0.1', hostPort, containerPort });
  });

  it('publishes every port on loopback only', () => {
    const ports = Object.keys(compose.services).flatMap(publishedPorts);
    expect(ports.filter((port) => port.hostIp !== '127.0.0.1')).toEqual([]);
    expect(ports.length).toBeGreaterThan(0);
  });

  it('does not publish the worker (its API is internal)', () => {
    expect(publishedPorts('tessera-worker')).toEqual([]);
  });

  it('the header tells how to point Tessera at the stack', () => {
    const header = text.slice(0, text.indexOf('\nservices:'));
    for (const line of [
      'TEMPORAL_ADDRESS=127.0.0.1:7233',
      'MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0&directConnection=true',
      'CLICKHOUSE_URL=http://127.0.0.1:8123',
      'REDIS_URL=redis://127.0.0.1:6379',
      'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318',
      'http://127.0.0.1:8233',
      'docker compose -f temporal-docker-compose.yml up -d --build',
      ...REQUIRED_SECRETS,
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

  it.each(Object.keys(compose.services).filter((name) => !TESSERA.includes(name)))('%s uses an image with an explicit, pinned tag', (name) => {
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
    expect(service('otel-collector').image).toMatch(/^otel\/opentelemetry-collector-contrib:0\.\d+\.\d+$/);
    expect(service(PROBE_JOB).image).toMatch(/^busybox:\d+\.\d+\.\d+-musl$/); // musl: a static binary
  });

  it('declares every named volume a service mounts', () => {
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'volume' ? volume.source : undefined))
      .filter((source): source is string => !!source && !/^[./~]/.test(source));
    expect(named.length).toBeGreaterThan(0);
    for (const volume of named) expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('escapes every literal $ as $$; the only interpolations are Tessera settings from the host', () => {
    const interpolation = new RegExp(
      `^\\$\\{(?:(?:${REQUIRED_SECRETS.join('|')}):\\?[^}$]+|(?:${OPTIONAL_FROM_HOST.join('|')}):-[^}$]*)\\}$`,
    );
    const unescaped = Object.entries(compose.services).flatMap(([name, s]) =>
      Object.entries(s)
        .flatMap(([key, value]) =>
          key === 'environment' && TESSERA.includes(name)
            ? Object.values(environment(name)).filter((v) => !interpolation.test(v))
            : allStrings(value),
        )
        .filter((value) => value.replaceAll('$$', '').includes('$')),
    );
    expect(unescaped).toEqual([]);
    expect(allStrings(compose.configs).filter((value) => value.includes('$'))).toEqual([]);
  });

  describe('OpenTelemetry collector', () => {
    const config = parseDocument(compose.configs?.['otel-collector-config']?.content ?? '');
    const otel = config.toJS() as {
      extensions?: { health_check?: { endpoint?: string } };
      receivers?: { otlp?: { protocols?: { grpc?: { endpoint?: string }; http?: { endpoint?: string } } } };
      service?: { extensions?: string[]; pipelines?: Record<string, { receivers?: string[]; exporters?: string[] }> };
    } | null;

    it('gets an inline config that parses, mounted where the collector reads it', () => {
      expect(config.errors).toEqual([]);
      expect(otel).not.toBeNull();
      expect(service('otel-collector').configs).toContainEqual({ source: 'otel-collector-config', target: '/etc/otelcol-contrib/config.yaml' });
      expect(allStrings(service('otel-collector').command).join(' ')).toContain('/etc/otelcol-contrib/config.yaml');
    });

    it('receives OTLP over gRPC on 4317 and HTTP on 4318 and exports traces', () => {
      expect(otel?.receivers?.otlp?.protocols?.grpc?.endpoint).toBe('0.0.0.0:4317');
      expect(otel?.receivers?.otlp?.protocols?.http?.endpoint).toBe('0.0.0.0:4318');
      expect(otel?.service?.pipelines?.traces?.receivers).toContain('otlp');
      expect(otel?.service?.pipelines?.traces?.exporters?.length).toBeGreaterThan(0);
    });

    it('is health-checked through its health_check extension on 13133, with a probe binary its image lacks', () => {
      expect(otel?.extensions?.health_check?.endpoint).toMatch(/:13133$/);
      expect(otel?.service?.extensions).toContain('health_check');
      expect(healthTest('otel-collector')).toMatch(/^\/probe\/busybox wget .*http:\/\/127\.0\.0\.1:13133\/$/);
      expect(service('otel-collector').volumes).toContain('otel-probe:/probe:ro');
      expect(service(PROBE_JOB).volumes).toContain('otel-probe:/probe');
      expect(allStrings(service(PROBE_JOB).command)).toEqual(['cp', '/bin/busybox', '/probe/busybox']);
      expect(service('otel-collector').depends_on).toMatchObject({ [PROBE_JOB]: { condition: 'service_completed_successfully' } });
      expect(service(PROBE_JOB).healthcheck).toBeUndefined();
    });
  });

  describe.each(TESSERA)('%s', (name) => {
    it("builds from the repo's Dockerfile", () => {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      const file = (typeof build === 'object' ? build.dockerfile : undefined) ?? 'Dockerfile';
      expect(context).toBeDefined();
      expect(path.resolve(path.dirname(COMPOSE_FILE), context ?? '', file)).toBe(DOCKERFILE);
      expect(service(name).image).toBeUndefined();
    });

    it('points at the compose services and the collector', () => {
      expect(environment(name)).toMatchObject(TESSERA_ADDRESSES);
    });

    it('requires every shared secret from the host and bakes in none', () => {
      const env = environment(name);
      for (const secret of REQUIRED_SECRETS) {
        expect(env[secret], secret).toMatch(new RegExp(`^\\$\\{${secret}:\\?[^}]+\\}$`));
      }
    });

    it('starts once its dependencies are healthy and the search attributes exist', () => {
      expect(service(name).depends_on).toMatchObject({
        temporal: { condition: 'service_healthy' },
        [ONE_SHOT]: { condition: 'service_completed_successfully' },
        mongodb: { condition: 'service_healthy' },
        clickhouse: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        'otel-collector': { condition: 'service_healthy' },
      });
    });

    it('is healthy when /api/health answers 2xx on its own port', () => {
      expect(service(name).healthcheck?.test).toEqual(expect.arrayContaining(['CMD', 'node', '-e']));
      expect(healthTest(name)).toMatch(/fetch\('http:\/\/127\.0\.0\.1:8080\/api\/health'\)/);
      expect(healthTest(name)).toContain('r.ok ? 0 : 1');
      expect(environment(name).PORT ?? '8080').toBe('8080');
    });

    it('runs an entry point that exists in the repo', () => {
      const cmd = finalStage().filter((instruction) => instruction.keyword === 'CMD').at(-1);
      const command = service(name).command ?? execForm(cmd?.args ?? '[]');
      const entry = entryPoint(allStrings(command));
      expect(entry).toBeDefined();
      expect(fs.existsSync(path.join(REPO, entry ?? ''))).toBe(true);
    });
  });

  it('runs the API as the image default and the workers with the launcher, the API after the worker', () => {
    expect(service('tessera-api').command).toBeUndefined();
    expect(allStrings(service('tessera-worker').command)).toEqual(['node', '--max-semi-space-size=64', '--import', 'tsx', 'src/dev/main.ts']);
    expect(service('tessera-api').depends_on).toMatchObject({ 'tessera-worker': { condition: 'service_healthy' } });
  });
});

describe('Dockerfile', () => {
  it('exists', () => {
    expect(fs.existsSync(DOCKERFILE)).toBe(true);
    expect(dockerfile.length).toBeGreaterThan(0);
  });

  it('builds on a pinned trixie-slim image of the Node.js LTS that the scripts and .nvmrc pin, which engines allows', () => {
    const stages = stageNames();
    const bases = baseImages().filter((image) => !stages.includes(image));
    expect(bases.length).toBeGreaterThan(0);
    const pinned = /^NODE_LTS_VERSION=(\d+\.\d+\.\d+)$/m.exec(fs.readFileSync(path.join(REPO, 'scripts/use-node.sh'), 'utf8'))?.[1];
    expect(pinned).toBeDefined();
    expect(fs.readFileSync(path.join(REPO, '.nvmrc'), 'utf8').trim()).toBe(pinned);
    const engines = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const oldest = Number(/^>=(\d+)$/.exec(engines)?.[1]);
    const major = Number(pinned!.split('.')[0]);
    // The pin is no older than the oldest line engines allows, and that is a maintained LTS (24+).
    expect(oldest).toBeGreaterThanOrEqual(24);
    expect(major).toBeGreaterThanOrEqual(oldest);
    for (const image of bases) expect(image).toMatch(new RegExp(`^node:${pinned!.replaceAll('.', '\\.')}-trixie-slim(@sha256:[0-9a-f]{64})?$`));
  });

  it('installs production dependencies from the lock file, plus tsx, which the entry points need', () => {
    const runs = dockerfile.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);
    expect(runs.join('\n')).toMatch(/npm ci --omit=dev/);
    // The build proves tsx loads in the installed tree.
    expect(runs.join('\n')).toMatch(/node --import tsx /);
  });

  it('copies what the processes read at run time, all of it present and not docker-ignored', () => {
    const ignored = fs
      .readFileSync(path.join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const local of ['node_modules', '.tools', '.data', '.git']) expect(ignored).toContain(local);
    const sources = dockerfile
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.startsWith('--from='))
      .flatMap((instruction) => instruction.args.split(/\s+/).filter((arg) => !arg.startsWith('--')).slice(0, -1));
    for (const needed of ['src', 'templates', 'packs', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      expect(sources).toContain(needed);
    }
    for (const source of sources) {
      expect(fs.existsSync(path.join(REPO, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
  });

  it('builds the console in a stage of its own (with dev dependencies) and copies only its output into the image', () => {
    const stages = dockerfile.map((instruction, index) => ({ ...instruction, index })).filter((instruction) => instruction.keyword === 'FROM');
    const consoleStart = stages.find((stage) => / AS console$/i.test(stage.args))?.index;
    expect(consoleStart).toBeDefined();
    const consoleEnd = stages.find((stage) => stage.index > consoleStart!)?.index ?? dockerfile.length;
    const stage = dockerfile.slice(consoleStart, consoleEnd);
    const runs = stage.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args).join('\n');
    // Vite is a dev dependency: the stage installs the whole locked tree, then runs the project's build.
    expect(runs).toMatch(/npm ci(?![^\n]*--omit=dev)/);
    expect(runs).toMatch(/npm run console:build/);
    expect(stage.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args)).toContain('console ./console');
    const scripts = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['console:build']).toMatch(/^vite build /);
    expect(finalStage().filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args)).toContain('--from=console /app/dist/console ./dist/console');
  });

  it('runs as a non-root user', () => {
    const user = finalStage().filter((instruction) => instruction.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('bakes no secret into the image', () => {
    const settings = dockerfile.filter((instruction) => ['ENV', 'ARG'].includes(instruction.keyword)).map((instruction) => instruction.args);
    expect(settings.filter((args) => /KEY|SECRET|PEPPER|PASSWORD|TOKEN/i.test(args))).toEqual([]);
    expect(dockerfile.filter((instruction) => /(^|\s)\.env\b|secrets/.test(instruction.args) && instruction.keyword === 'COPY')).toEqual([]);
  });

  it('exposes 8080 and by default runs the API, an entry point that exists', () => {
    expect(finalStage().filter((instruction) => instruction.keyword === 'EXPOSE').map((instruction) => instruction.args)).toContain('8080');
    const cmd = finalStage().filter((instruction) => instruction.keyword === 'CMD').at(-1);
    expect(cmd).toBeDefined();
    const command = execForm(cmd?.args ?? '');
    expect(command).toEqual(['node', '--import', 'tsx', 'src/api/main.ts']);
    expect(fs.existsSync(path.join(REPO, entryPoint(command) ?? ''))).toBe(true);
  });

  it('documents the worker role', () => {
    expect(dockerfileText).toContain('node --import tsx src/dev/main.ts');
    expect(fs.existsSync(path.join(REPO, 'src/dev/main.ts'))).toBe(true);
  });
});
