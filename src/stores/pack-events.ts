/**
 * A pack run's progress events, in a Redis Stream shaped like a chat's (`events:{app}:pack:{run}`,
 * fields type / turn_id / data, capped and expiring), so the API's live-stream machinery serves it
 * unchanged. Every event carries a dedup key: a retried activity never repeats one.
 */
import type { Redis } from 'ioredis';
import { packIds, type PackEventType } from '../domain/packs';
import { ChatEvents, STREAM_MAX_LEN, STREAM_TTL_SECONDS } from './chat-events';
import { RedisScript } from './redis-script';

const PUBLISH_ONCE = new RedisScript(`
if not redis.call('SET', KEYS[2], '', 'NX', 'EX', ARGV[2]) then
  return redis.call('GET', KEYS[2])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[3], 'turn_id', ARGV[4], 'data', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], id, 'EX', ARGV[2])
return id
`);

export class PackEvents {
  constructor(private readonly redis: Redis) {}

  static ref(appId: string, runId: string): { appId: string; chatId: string } {
    return { appId, chatId: packIds.runStream(runId) };
  }

  /** Publishes the event unless one with this dedup key was published for the run. */
  async publishOnce(appId: string, runId: string, dedupKey: string, type: PackEventType, data: object, stepId?: string): Promise<string> {
    const key = ChatEvents.streamKey(PackEvents.ref(appId, runId));
    const result = await PUBLISH_ONCE.run(this.redis, [key, `${key}:once:${dedupKey}`], [
      STREAM_MAX_LEN,
      STREAM_TTL_SECONDS,
      type,
      stepId ?? '',
      JSON.stringify(data),
    ]);
    return String(result);
  }
}
