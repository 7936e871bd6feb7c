/**
 * Which web origins some app allows, known in every API process without a store round trip, for
 * CORS preflights (which carry no credential, so no app: README "Browser access (CORS)").
 *
 * - **Shared index.** A Redis hash, one field per app (its `allowed_origins` as JSON), written by the
 *   app registry right after MongoDB on every create and change, whatever data plane the app is on.
 *   A field marks the index as complete; when Redis has lost it (a restart without persistence), the
 *   first process to notice rebuilds it from MongoDB without overwriting a newer registry write.
 * - **In-process copy.** Each API process holds the union of all apps' origins. A write publishes the
 *   app id on a Redis channel and every process re-reads the index at once (milliseconds); a full
 *   re-read every `refreshMs` (5 s) is the backstop for a message lost while a subscriber
 *   reconnected. So a preflight sees a change everywhere within `refreshMs` at worst.
 *
 * The actual request is never decided here: it is checked against its runtime token's own app
 * (the app state read on every request), so it follows a change at once.
 */
import type { Redis } from 'ioredis';
import { anyPortForm } from '../domain/apps/origins';
import { listAllowedOrigins } from './app-directory';
import type { MongoStores } from './mongo';

const INDEX_KEY = 'app-origins';
/** Present in a complete index (not a field any app id can be: app ids are lowercase slugs). */
const COMPLETE_FIELD = '~complete';
export const ORIGINS_REFRESH_MS = 5_000;

/** The channel is not a key: ioredis does not prefix it, so the deployment's prefix is added here. */
function channelOf(redis: Redis): string {
  return `${String(redis.options.keyPrefix ?? '')}app-origins:changed`;
}

/** Records an app's origins in the shared index and tells every process (the registry calls it). */
export async function publishAppOrigins(redis: Redis, appId: string, origins: readonly string[]): Promise<void> {
  await redis.hset(INDEX_KEY, appId, JSON.stringify(origins));
  await redis.publish(channelOf(redis), appId);
}

export interface OriginDirectoryOptions {
  refreshMs?: number;
  log?: { warn(details: object, message: string): void };
}

export class OriginDirectory {
  private exact = new Set<string>();
  private subscriber: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly refreshMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly mongo: MongoStores,
    private readonly options: OriginDirectoryOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? ORIGINS_REFRESH_MS;
  }

  /** Subscribes, reads the index once, and re-reads it every `refreshMs`. */
  async start(): Promise<void> {
    const subscriber = this.redis.duplicate({ lazyConnect: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('message', () => void this.refresh());
    // After a reconnect the messages sent meanwhile are lost: read the whole index again.
    subscriber.on('ready', () => void this.refresh());
    subscriber.on('error', (error: Error) => this.options.log?.warn({ err: error }, 'origin index subscriber'));
    try {
      await subscriber.connect();
      await subscriber.subscribe(channelOf(this.redis));
    } catch (error) {
      // Redis down at start: the timer keeps trying, the subscriber reconnects by itself.
      this.options.log?.warn({ err: error }, 'origin index: subscribing failed; reading it every few seconds');
    }
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /** Whether some app allows this origin (the preflight's question). */
  someAppAllows(origin: string): boolean {
    if (this.exact.has(origin)) return true;
    const anyPort = anyPortForm(origin);
    return anyPort !== undefined && this.exact.has(anyPort);
  }

  /** Re-reads the index; calls arriving while one runs coalesce into one more read after it. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.readIndex();
        } while (this.again && !this.closed);
      } catch (error) {
        // Keep the last copy: a stale origin list for a few seconds beats refusing every page.
        this.options.log?.warn({ err: error }, 'origin index: reading it failed; keeping the last copy');
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    this.subscriber?.disconnect();
  }

  private async readIndex(): Promise<void> {
    let fields = await this.redis.hgetall(INDEX_KEY);
    if (!(COMPLETE_FIELD in fields)) {
      await this.rebuild();
      fields = await this.redis.hgetall(INDEX_KEY);
    }
    const exact = new Set<string>();
    for (const [field, value] of Object.entries(fields)) {
      if (field === COMPLETE_FIELD) continue;
      try {
        const origins: unknown = JSON.parse(value);
        if (Array.isArray(origins)) for (const origin of origins) if (typeof origin === 'string') exact.add(origin);
      } catch {
        // A field that is not JSON allows nothing.
      }
    }
    this.exact = exact;
  }

  /** Fills the index from MongoDB. HSETNX: a registry write since (newer) is never overwritten.
   * (It reads the shared database, as every tenant listing does: an app on a dedicated data plane
   * re-enters the index with its next change.) */
  private async rebuild(): Promise<void> {
    const apps = await listAllowedOrigins(this.mongo);
    const pipeline = this.redis.pipeline();
    for (const app of apps) pipeline.hsetnx(INDEX_KEY, app.app_id, JSON.stringify(app.allowed_origins));
    pipeline.hset(INDEX_KEY, COMPLETE_FIELD, new Date().toISOString());
    await pipeline.exec();
  }
}
