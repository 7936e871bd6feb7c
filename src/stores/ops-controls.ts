/**
 * The ops autopilot's levers on an app, in Redis so every API replica honours them at once:
 * a throttle (limits and fairness weight times a factor) and a pause, each with a TTL so a lever
 * whose remediation died still lets go. The admission script reads both keys atomically
 * (`admission.ts`); the remediation workflow sets and clears them through activities.
 */
import type { Redis } from 'ioredis';

export interface Throttle {
  factor: number;
  incident_id: string;
}

export const opsControlKeys = {
  throttle: (appId: string) => `ops-throttle:${requireAppId(appId)}`,
  pause: (appId: string) => `ops-pause:${requireAppId(appId)}`,
};

export class OpsControls {
  constructor(private readonly redis: Redis) {}

  async throttle(appId: string, throttle: Throttle, ttlMs: number): Promise<void> {
    const key = opsControlKeys.throttle(appId);
    await this.redis.multi().del(key).hset(key, { factor: throttle.factor, incident_id: throttle.incident_id }).pexpire(key, ttlMs).exec();
  }

  async pause(appId: string, incidentId: string, ttlMs: number): Promise<void> {
    await this.redis.set(opsControlKeys.pause(appId), incidentId, 'PX', ttlMs);
  }

  /** Lifts the app's throttle and pause (idempotent). */
  async clear(appId: string, what: 'throttle' | 'pause'): Promise<void> {
    await this.redis.del(opsControlKeys[what](appId));
  }

  async state(appId: string): Promise<{ throttle?: Throttle; paused: boolean }> {
    const [throttle, paused] = await Promise.all([
      this.redis.hgetall(opsControlKeys.throttle(appId)),
      this.redis.exists(opsControlKeys.pause(appId)),
    ]);
    return {
      paused: paused === 1,
      ...(throttle.factor ? { throttle: { factor: Number(throttle.factor), incident_id: throttle.incident_id ?? '' } } : {}),
    };
  }
}

function requireAppId(appId: string): string {
  if (!appId) throw new Error('ops controls need an app_id');
  return appId;
}
