/**
 * Every environment setting Tessera reads, validated in one place.
 *
 * Only entry points (the launcher, workers, CLI, benchmarks) call `loadConfig`; everything else
 * receives the parts of `Config` it needs as arguments. An unset external address means "use the
 * embedded service" (the launcher starts it as a child process, or opens chDB in-process).
 */
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);

function urlWithScheme(schemes: readonly string[]) {
  return z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return schemes.includes(url.protocol.replace(/:$/, '')) && url.host !== '';
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  );
}

/** `host:port`, the form Temporal's gRPC clients take (no scheme). */
const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port, for example 127.0.0.1:7233');

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

const mongoDbName = z.string().regex(/^[A-Za-z0-9_-]{1,38}$/, 'must be 1-38 letters, digits, _ or -');

/** `TESSERA_DATA_PLANES`: apps moved to a data plane of their own (JSON, keyed by app id). */
const dataPlanes = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'keys must be app ids'),
      z
        .object({
          /** Default: `MONGODB_URI` (a database of its own on the shared server). */
          mongodb_uri: urlWithScheme(['mongodb', 'mongodb+srv']).optional(),
          mongodb_db: mongoDbName,
          /** Default: `tessera-chat-<app id>`. */
          task_queue: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, . _ -').optional(),
        })
        .strict(),
    ),
  );

export const configSchema = z.object({
  TEMPORAL_ADDRESS: optional(hostPort),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  MONGODB_URI: optional(urlWithScheme(['mongodb', 'mongodb+srv'])),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/, 'must be 1-38 letters, digits, _ or -').default('tessera'),
  CLICKHOUSE_URL: optional(urlWithScheme(['http', 'https'])),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier').default('tessera'),
  REDIS_URL: optional(urlWithScheme(['redis', 'rediss'])),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{0,64}$/, 'must be up to 64 letters, digits, _ . : -').default('tessera:'),
  OPENAI_API_KEY: optional(z.string().min(1)),
  OPENAI_BASE_URL: optional(urlWithScheme(['http', 'https'])),
  TESSERA_ADMIN_KEY: optional(z.string().min(16, 'must be at least 16 characters')),
  TESSERA_JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  TESSERA_KEY_PEPPER: optional(z.string().min(32, 'must be at least 32 characters')),
  TESSERA_PUBLIC_URL: optional(urlWithScheme(['http', 'https'])),
  /** Encrypts notification channel secrets and signs approve/reject links (API and ops worker share it). */
  TESSERA_NOTIFY_KEY: optional(z.string().min(32, 'must be at least 32 characters')),
  TESSERA_TEMPLATES_DIR: z.string().min(1).default('templates'),
  TESSERA_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
  /** Longest request target (path and query) the API accepts; longer answers 414. */
  TESSERA_MAX_URL_BYTES: z.coerce.number().int().min(256).max(64 * 1024).default(8 * 1024),
  /** Largest request line plus headers (Node's `maxHeaderSize`); larger answers 431. */
  TESSERA_MAX_HEADER_BYTES: z.coerce.number().int().min(1024).max(256 * 1024).default(16 * 1024),
  /** The request line and headers must arrive within this; later answers 408. */
  TESSERA_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** The whole request, body included, must arrive within this; later answers 408. */
  TESSERA_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** A connection with no traffic for this long is closed (live SSE/WebSocket streams are exempt). */
  TESSERA_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  /** Open SSE/WebSocket streams one runtime token may hold, across every API replica; more answer 429. */
  TESSERA_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Open SSE/WebSocket streams one app may hold, across every API replica; more answer 429. */
  TESSERA_STREAMS_PER_APP: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  TESSERA_DATA_DIR: z.string().min(1).default('.data'),
  TESSERA_TOOLS_DIR: z.string().min(1).default('.tools'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** The Temporal Web UI the console links chats' and runs' workflows to; default: the embedded dev
   * server's (`http://127.0.0.1:<TEMPORAL_UI_PORT>`) when Temporal is embedded, else no link. */
  TESSERA_TEMPORAL_UI_URL: optional(urlWithScheme(['http', 'https'])),
  FERRETDB_PORT: port.default(27017),
  REDIS_PORT: port.default(6379),
  OFFLINE_MODEL_PORT: port.default(8300),
  OFFLINE_MODEL_TOKEN_LATENCY_MS: z.coerce.number().min(0).max(10_000).default(0),
  TESSERA_HTTP_ALLOWLIST: commaList.default([]),
  TESSERA_PRICING_FILE: optional(z.string().min(1)),
  TESSERA_PSEUDONYM_KEY: optional(z.string().min(16, 'must be at least 16 characters')),
  /** Grid carbon intensity for CO2e estimates, gCO2e per kWh (default: world average, IEA 2024). */
  TESSERA_GRID_GCO2E_PER_KWH: z.coerce.number().min(0).max(2000).default(400),
  /** Where retention archives chat messages (gzip JSONL); default `<data dir>/archive`. */
  TESSERA_ARCHIVE_DIR: optional(z.string().min(1)),
  /** Create or update the analytics Schedules at start (off: manage them with `npm run schedules`). */
  TESSERA_SCHEDULES: z.enum(['on', 'off']).default('on'),
  /** Ops autopilot: seconds between the Schedule's monitoring passes (the fast loop samples every few seconds). */
  TESSERA_OPS_MONITOR_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  /** Ops autopilot: run the long-running fast monitoring loop (`ops-monitor`). */
  TESSERA_OPS_FAST_LOOP: z.enum(['on', 'off']).default('on'),
  /** Port of the Temporal worker runtime's Prometheus exporter (appended to the API's `/metrics`); unset: off. */
  TESSERA_WORKER_METRICS_PORT: optional(port),
  /** `1`: the launcher prints each start-up step's start and end on stderr (src/dev/startup-trace.ts). */
  TESSERA_STARTUP_TRACE: z.enum(['0', '1']).default('0'),
  /** Chat worker processes beside the launcher's own (0: the chat worker runs in the launcher). */
  TESSERA_WORKER_PROCESSES: z.coerce.number().int().min(0).max(32).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The launcher's terminal: short readable lines (`pretty`), JSON records (`json`), or `auto` (pretty on a terminal, JSON otherwise). */
  TESSERA_LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  /** OTLP/HTTP endpoint traces are exported to (`http://collector:4318`); unset: no tracing at all. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(urlWithScheme(['http', 'https'])),
  /** Dedicated data planes: `{"<app id>": {"mongodb_db": "...", "mongodb_uri"?: "...", "task_queue"?: "..."}}`. */
  TESSERA_DATA_PLANES: optional(dataPlanes),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** Absolute data directory (`.data` by default): chDB files, dev-server state, generated keys. */
  dataDir: string;
  toolsDir: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses settings from an environment map; throws `ConfigError` naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(unknown)');
        const value = env[variable];
        const shown = value === undefined ? '' : ` (got ${JSON.stringify(redact(variable, value))})`;
        return { variable, message: `${issue.message}${shown}` };
      }),
    );
  }
  return {
    ...parsed.data,
    dataDir: path.resolve(cwd, parsed.data.TESSERA_DATA_DIR),
    toolsDir: path.resolve(cwd, parsed.data.TESSERA_TOOLS_DIR),
  };
}

function redact(variable: string, value: string): string {
  return /KEY|SECRET|PASSWORD/.test(variable) ? '***' : value;
}

/** The Temporal Web UI's base URL (no trailing slash): the configured one, or the embedded dev
 * server's when Temporal is embedded; undefined when there is none to link to. */
export function temporalUiUrl(config: Pick<Config, 'TESSERA_TEMPORAL_UI_URL' | 'TEMPORAL_ADDRESS' | 'TEMPORAL_UI_PORT'>): string | undefined {
  if (config.TESSERA_TEMPORAL_UI_URL) return config.TESSERA_TEMPORAL_UI_URL.replace(/\/+$/, '');
  return config.TEMPORAL_ADDRESS ? undefined : `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
}

/** For entry points: load the config or print what is wrong and exit non-zero. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tessera: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

export type SharedSecretName = 'TESSERA_ADMIN_KEY' | 'TESSERA_JWT_SECRET' | 'TESSERA_KEY_PEPPER' | 'TESSERA_PSEUDONYM_KEY';

/**
 * The secrets every API replica and worker must share, missing from `config`. A process that made
 * its own would refuse the others' runtime tokens and app keys, and its pseudonyms would differ from
 * the workers' (analytics by user and erasure break). The pseudonym key is needed only where
 * analytics runs (`analytics: true`).
 */
export function missingSharedSecrets(config: Config, options: { analytics: boolean }): SharedSecretName[] {
  const names: SharedSecretName[] = ['TESSERA_ADMIN_KEY', 'TESSERA_JWT_SECRET', 'TESSERA_KEY_PEPPER'];
  if (options.analytics) names.push('TESSERA_PSEUDONYM_KEY');
  return names.filter((name) => !config[name]);
}

/**
 * True when Temporal, MongoDB and Redis are all external: the process is one replica of a shared
 * deployment, so it may not generate secrets. Only a launcher that embeds at least one of them
 * (a private, single-machine stack) generates its own.
 */
export function usesSharedServices(config: Config): boolean {
  return Boolean(config.TEMPORAL_ADDRESS && config.MONGODB_URI && config.REDIS_URL);
}

/** For entry points: exit 78 naming every missing shared secret (all at once, before connecting). */
export function requireSharedSecretsOrExit(config: Config, options: { analytics: boolean; process: string }): void {
  const missing = missingSharedSecrets(config, options);
  if (missing.length === 0) return;
  process.stderr.write(
    `${options.process}: ${missing.join(', ')} must be set (every API replica and worker must share ${missing.length === 1 ? 'it' : 'them'}; only the embedded launcher, with at least one embedded service, generates secrets)\n`,
  );
  process.exit(78); // EX_CONFIG, like every other bad setting
}
