/** Redis's own count of the commands it ran (`INFO commandstats`), by command; the `info` and
 * `hello`/`client` commands of the reading connection included (a few per read, not per turn). */
import { Redis } from 'ioredis';

export async function redisCommandStats(url: string): Promise<Record<string, number>> {
  const redis = new Redis(url, { lazyConnect: true, connectionName: 'turn-cpu-stats' });
  try {
    await redis.connect();
    const text = await redis.info('commandstats');
    const out: Record<string, number> = {};
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[match[1] as string] = Number(match[2]);
    return out;
  } finally {
    redis.disconnect();
  }
}
