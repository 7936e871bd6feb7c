/**
 * An API-only process (`src/api/main.ts`) beside a test's API stack: same Temporal, MongoDB database,
 * Redis key prefix and secrets, its own port. Two of them show that state lives in Redis and
 * Temporal, not in one process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/dev/child-service';
import { TASK_QUEUES } from '../../src/workflows/contract';
import type { ApiStack } from './api-stack';
import { services } from './services';

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/** The stack must run its worker on `tessera-chat` (`startApiStack({ taskQueue: TASK_QUEUES.chat })`):
 * an API process sends chats there. */
export async function startApiProcess(stack: ApiStack): Promise<ApiProcess> {
  if (stack.kit.taskQueue !== TASK_QUEUES.chat) throw new Error(`the stack's worker must poll ${TASK_QUEUES.chat}`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/api/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: stack.env.address,
      MONGODB_URI: services().mongoUri,
      MONGODB_DB: stack.kit.mongoDb,
      REDIS_URL: services().redisUrl,
      REDIS_KEY_PREFIX: stack.kit.redisPrefix,
      TESSERA_ADMIN_KEY: stack.secrets.adminKey,
      TESSERA_JWT_SECRET: stack.secrets.jwtSecret,
      TESSERA_KEY_PEPPER: stack.secrets.keyPepper,
      TESSERA_DATA_DIR: path.join(services().runDir, 'api-process'),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.once('exit', (code) => reject(new Error(`API process exited early (${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
