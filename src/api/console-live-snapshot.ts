/**
 * One snapshot of every app for the console's live overview (`GET /console/api/live`), read from
 * the sources `/metrics/perf/aggregate` and `/health/active-runs` read: the Redis per-minute
 * counters and active-runs gauge (src/stores/app-counters.ts), the ops levers
 * (src/stores/ops-controls.ts) and the app's own pause (src/stores/app-registry.ts). The p95 turn
 * latency comes from the app's usage events in MongoDB (the model time of each turn: the sum of its
 * LLM calls' latencies), read only for apps that ran turns and only every few snapshots.
 *
 * Computed by one shared timer per API process (console-live-hub.ts), never per open page.
 */
import { nanosToUsd } from '../domain/pricing';
import { AppCounters } from '../stores/app-counters';
import { OpsControls } from '../stores/ops-controls';
import { tenantCollections } from '../stores/tenant-collection';
import type { ApiRuntime } from './runtime';

/** Turns, errors, cost and latency are over this window; the rate over the last minute. */
export const LIVE_WINDOW_MINUTES = 5;
/** The latency read (MongoDB) is redone every this many snapshots; in between the last one stands. */
const LATENCY_EVERY = 5;
/** Usage events read per app for the latency (the newest first). */
const LATENCY_EVENTS = 2000;

export type LiveAppState = 'running' | 'paused' | 'throttled';

export interface LiveApp {
  app_id: string;
  state: LiveAppState;
  /** The ops throttle in force (state `throttled`), else null. */
  throttle_factor: number | null;
  active_runs: number;
  /** Turns started in the window. */
  turns: number;
  /** Turns per second over the last minute (its partial minute bucket included). */
  turns_per_second: number;
  /** Turns failed in the window. */
  errors: number;
  /** p95 over the window's turns of each turn's model time (ms); null without a turn. */
  p95_turn_ms: number | null;
  /** The window's LLM cost at an hourly rate (USD). */
  cost_per_hour_usd: number;
}

export interface LiveSnapshot {
  /** Which computation this is (1, 2, … per process): every stream of a tick gets the same one. */
  seq: number;
  at: string;
  window_minutes: number;
  apps: LiveApp[];
}

/** Counts the computations of this process (tests and `bench:console` read it). */
export const liveSnapshotStats = { computations: 0 };

export class LiveSnapshotSource {
  private readonly counters: AppCounters;
  private readonly controls: OpsControls;
  private readonly latencies = new Map<string, number | null>();
  private seq = 0;

  constructor(private readonly runtime: ApiRuntime) {
    this.counters = new AppCounters(runtime.redis);
    this.controls = new OpsControls(runtime.redis);
  }

  /** Every app that has run anything, plus `wanted` (apps whose owners are watching). */
  async compute(wanted: Iterable<string>): Promise<LiveSnapshot> {
    liveSnapshotStats.computations++;
    const seq = ++this.seq;
    const to = this.runtime.now();
    const window = { from: new Date(to.getTime() - LIVE_WINDOW_MINUTES * 60_000), to };
    const lastMinute = { from: new Date(to.getTime() - 60_000), to };
    const active = await this.counters.activeRuns();
    const appIds = [...new Set([...Object.keys(active), ...wanted])].sort();
    const readLatency = seq % LATENCY_EVERY === 1;
    const apps = await Promise.all(
      appIds.map(async (appId): Promise<LiveApp> => {
        const [totals, recent, levers, app] = await Promise.all([
          this.counters.read(appId, window),
          this.counters.read(appId, lastMinute),
          this.controls.state(appId),
          this.runtime.apps.state(appId),
        ]);
        if (readLatency) this.latencies.set(appId, totals.turns > 0 ? await this.p95TurnMs(appId, window.from) : null);
        const paused = levers.paused || app?.paused === true;
        const factor = levers.throttle?.factor ?? null;
        return {
          app_id: appId,
          state: paused ? 'paused' : factor !== null ? 'throttled' : 'running',
          throttle_factor: factor,
          active_runs: active[appId] ?? 0,
          turns: totals.turns,
          turns_per_second: round(recent.turns / coveredSeconds(lastMinute), 4),
          errors: totals.errors,
          p95_turn_ms: this.latencies.get(appId) ?? null,
          cost_per_hour_usd: round((nanosToUsd(totals.cost_nanos) * 3_600) / coveredSeconds(window), 6),
        };
      }),
    );
    return { seq, at: to.toISOString(), window_minutes: LIVE_WINDOW_MINUTES, apps };
  }

  private async p95TurnMs(appId: string, from: Date): Promise<number | null> {
    const events = await tenantCollections(this.runtime.mongo, appId).usageEvents.find<{ turn_id: string; latency_ms: number }>(
      { ts: { $gte: from } },
      { sort: { ts: -1 }, limit: LATENCY_EVENTS, projection: { _id: 0, turn_id: 1, latency_ms: 1 } },
    );
    const perTurn = new Map<string, number>();
    for (const event of events) perTurn.set(event.turn_id, (perTurn.get(event.turn_id) ?? 0) + event.latency_ms);
    return percentile([...perTurn.values()], 0.95);
  }
}

/** The seconds the counters of `range` cover: from the start of its first minute bucket to its end. */
function coveredSeconds(range: { from: Date; to: Date }): number {
  const first = Math.floor(range.from.getTime() / 60_000) * 60_000;
  return Math.max(1, (range.to.getTime() - first) / 1000);
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
