/**
 * The live overview's one shared snapshot per API process: a single timer (every second, started
 * when the first stream opens, stopped when the last closes) computes it, and every open stream
 * gets that same snapshot, filtered to what its caller may see — the admin every app, an app's
 * owner its own app only. Each filtered view is encoded once per snapshot, however many streams
 * share it, so fifty open pages cost the stores (and nearly the CPU) what one does.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { LiveCaller, LiveStreamSlots } from './console-live-slots';
import type { LiveSnapshot, LiveSnapshotSource } from './console-live-snapshot';

export const LIVE_INTERVAL_MS = 1000;

export interface LiveSubscriber {
  caller: LiveCaller;
  /** Writes one encoded SSE message. */
  send(message: string): void;
  /** Ends the stream (the server is closing). */
  end(): void;
}

/** What a caller may see of a snapshot: authorization, not presentation. */
export function visibleTo(caller: LiveCaller, snapshot: LiveSnapshot): LiveSnapshot {
  if (caller.kind === 'admin') return snapshot;
  return { ...snapshot, apps: snapshot.apps.filter((app) => app.app_id === caller.appId) };
}

export function snapshotMessage(snapshot: LiveSnapshot): string {
  return `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
}

const viewKey = (caller: LiveCaller) => (caller.kind === 'admin' ? 'admin' : `app:${caller.appId}`);

export class LiveOverviewHub {
  private readonly subscribers = new Set<LiveSubscriber>();
  private latest: { snapshot: LiveSnapshot; messages: Map<string, string> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private slotTimer: NodeJS.Timeout | undefined;
  /** Bumped at each start and stop, so a computation of an earlier run neither sends nor reschedules. */
  private generation = 0;
  private failing = false;

  constructor(
    private readonly source: LiveSnapshotSource,
    private readonly slots: LiveStreamSlots,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = LIVE_INTERVAL_MS,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(subscriber: LiveSubscriber): void {
    this.subscribers.add(subscriber);
    if (this.subscribers.size === 1) this.start();
    else if (this.latest) subscriber.send(this.messageFor(subscriber.caller));
  }

  unsubscribe(subscriber: LiveSubscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    if (this.subscribers.size === 0) this.stop();
  }

  /** Ends every stream and stops the timers (the server is closing). */
  close(): void {
    for (const subscriber of [...this.subscribers]) subscriber.end();
    this.subscribers.clear();
    this.stop();
  }

  private start(): void {
    this.generation++;
    this.slotTimer = setInterval(() => void this.slots.refreshAll(), this.slots.refreshMs);
    this.slotTimer.unref();
    void this.tick();
  }

  private stop(): void {
    this.generation++;
    clearTimeout(this.timer);
    clearInterval(this.slotTimer);
    this.timer = undefined;
    this.slotTimer = undefined;
    this.latest = undefined;
  }

  /** One computation, then the next a second after this one started (never two at once). */
  private async tick(): Promise<void> {
    const started = Date.now();
    const generation = this.generation;
    const wanted = new Set<string>();
    for (const { caller } of this.subscribers) if (caller.kind === 'app') wanted.add(caller.appId);
    try {
      const snapshot = await this.source.compute(wanted);
      if (this.failing) this.log.info('console live overview: snapshots computed again');
      this.failing = false;
      if (generation !== this.generation) return;
      this.latest = { snapshot, messages: new Map() };
      for (const subscriber of [...this.subscribers]) subscriber.send(this.messageFor(subscriber.caller));
    } catch (error) {
      // The streams stay open with the last snapshot they got; the next tick tries again.
      if (!this.failing) this.log.warn({ err: error }, 'console live overview: computing the snapshot failed');
      this.failing = true;
    } finally {
      if (generation === this.generation) {
        this.timer = setTimeout(() => void this.tick(), Math.max(0, this.intervalMs - (Date.now() - started)));
        this.timer.unref();
      }
    }
  }

  private messageFor(caller: LiveCaller): string {
    const latest = this.latest;
    if (!latest) return '';
    const key = viewKey(caller);
    let message = latest.messages.get(key);
    if (message === undefined) {
      message = snapshotMessage(visibleTo(caller, latest.snapshot));
      latest.messages.set(key, message);
    }
    return message;
  }
}
