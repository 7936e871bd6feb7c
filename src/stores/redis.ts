/** Redis through ioredis. A key prefix isolates deployments (and test files) sharing one server. */
import { Redis } from 'ioredis';

export function openRedis(url: string, opts: { keyPrefix?: string } = {}): Redis {
  return new Redis(url, {
    keyPrefix: opts.keyPrefix ?? 'tessera:',
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
}
