/**
 * An API-only process: serves the HTTP API against external Temporal, MongoDB and Redis (set by
 * `TEMPORAL_ADDRESS`, `MONGODB_URI`, `REDIS_URL`), with no workers and no embedded services. Run
 * several behind a load balancer; admission and streams are shared through Redis, so they agree.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit, requireSharedSecretsOrExit, temporalUiUrl, type Config } from '../config';
import { pseudonymizer } from '../activities/analytics/pseudonym';
import { openClickHouse } from '../stores/clickhouse';
import { DataPlanes } from '../stores/data-planes';
import { MongoStores } from '../stores/mongo';
import { createLogger } from '../telemetry/logging';
import { startTracing } from '../telemetry/tracing';
import { openRedis } from '../stores/redis';
import { createApiRuntime } from './build-runtime';
import { dependencyProbes } from './dependency-probes';
import { apiLimitsFromConfig } from './limits';
import { buildApi } from './server';

function required(config: Config, name: 'TEMPORAL_ADDRESS' | 'MONGODB_URI' | 'REDIS_URL'): string {
  const value = config[name];
  if (!value) {
    process.stderr.write(`tessera-api: ${name} must be set (an API-only process starts no embedded services)\n`);
    process.exit(78);
  }
  return value;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Before anything connects: a missing secret is a configuration error, not a runtime one.
  requireSharedSecretsOrExit(config, { analytics: Boolean(config.CLICKHOUSE_URL), process: 'tessera-api' });
  const secrets = {
    adminKey: config.TESSERA_ADMIN_KEY!,
    jwtSecret: config.TESSERA_JWT_SECRET!,
    keyPepper: config.TESSERA_KEY_PEPPER!,
    pseudonymKey: config.TESSERA_PSEUDONYM_KEY,
  };
  const log = createLogger({ level: config.LOG_LEVEL, base: { service: 'tessera-api', pid: process.pid } });
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: 'tessera-api' });
  const temporalAddress = required(config, 'TEMPORAL_ADDRESS');
  const planes = new DataPlanes({ uri: required(config, 'MONGODB_URI'), db: config.MONGODB_DB }, config.TESSERA_DATA_PLANES ?? {});
  const mongo = new MongoStores(planes.resolveStorage);
  const redis = openRedis(required(config, 'REDIS_URL'), { keyPrefix: config.REDIS_KEY_PREFIX });
  const connection = await Connection.connect({ address: temporalAddress });
  const publicUrl = config.TESSERA_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
  const temporalUi = temporalUiUrl(config);
  // Analytics and erasure need a ClickHouse server (chDB belongs to the launcher process); without
  // CLICKHOUSE_URL those routes answer 503. The pseudonym key must be the workers' key.
  const analytics = config.CLICKHOUSE_URL
    ? {
        clickhouse: await openClickHouse({ url: config.CLICKHOUSE_URL, database: config.CLICKHOUSE_DATABASE, chdbPath: '' }),
        pseudonymize: pseudonymizer(secrets.pseudonymKey!),
        gridGramsPerKwh: config.TESSERA_GRID_GCO2E_PER_KWH,
      }
    : undefined;

  const api = await buildApi({
    logLevel: config.LOG_LEVEL,
    logger: log,
    limits: apiLimitsFromConfig(config),
    traceRequests: tracing.enabled,
    probes: dependencyProbes({ temporal: connection, mongo: () => mongo.dbFor('_system'), redis }),
    runtime: createApiRuntime({
      temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, ...(tracing.clientInterceptors ? { interceptors: tracing.clientInterceptors } : {}) }),
      chatTaskQueueFor: (appId) => planes.chatTaskQueue(appId),
      mongo,
      redis,
      secrets: { adminKey: secrets.adminKey, jwtSecret: secrets.jwtSecret, keyPepper: secrets.keyPepper },
      templatesDir: path.resolve(config.TESSERA_TEMPLATES_DIR),
      publicUrl,
      ...(analytics ? { analytics } : {}),
      ...(config.TESSERA_NOTIFY_KEY ? { notifyKey: config.TESSERA_NOTIFY_KEY } : {}),
      ...(temporalUi ? { temporalUi: { url: temporalUi, namespace: config.TEMPORAL_NAMESPACE } } : {}),
    }),
  });
  await api.listen({ host: config.HOST, port: config.PORT });
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  // One line a supervisor (or a test) can wait for.
  process.stdout.write(`tessera-api listening on http://${config.HOST}:${port}\n`);

  const stop = async () => {
    await api.close();
    await connection.close();
    await mongo.close();
    redis.disconnect();
    await tracing.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main();
