/**
 * The faults of issue 11, each injected while a scenario's turns are in flight. `inject` resolves
 * at the fault's end — the moment the killed process is gone, or the stopped service is back —
 * and hands back the supervisor's restarts still under way (a killed process comes back after
 * RESTART_DELAY_MS, as systemd or Kubernetes would bring it back).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningLoad } from './load';
import type { Restartable } from './restartable';
import type { ChaosStack } from './stack';

export interface FaultContext {
  stack: ChaosStack;
  load: RunningLoad;
  turns: number;
  /** How long a stopped service stays down. */
  outageMs: number;
  log: (line: string) => void;
}

export interface FaultEnd {
  endedAt: number;
  /** Restarts the supervisor still runs; awaited before the checks. */
  restarts: Promise<void>;
}

export interface Fault {
  name: string;
  inject(ctx: FaultContext): Promise<FaultEnd>;
}

const RESTART_DELAY_MS = 1_000;
const TRIGGER_POLL_MS = 50;

/** Waits until this share of the scenario's turns has ended (the fault lands mid-flight). */
async function afterShare(ctx: FaultContext, share: number): Promise<void> {
  while (!ctx.load.finished() && ctx.load.ended() < Math.floor(ctx.turns * share)) await sleep(TRIGGER_POLL_MS);
}

/** SIGKILL, then the supervisor's restart in the background. */
async function killAndRestart(ctx: FaultContext, process: Restartable): Promise<{ endedAt: number; restart: Promise<void> }> {
  await process.kill();
  ctx.log(`  ${process.name} killed, with ${ctx.load.ended()} of ${ctx.turns} turns ended`);
  const endedAt = Date.now();
  return { endedAt, restart: sleep(RESTART_DELAY_MS).then(() => process.start()) };
}

async function outage(ctx: FaultContext, service: Restartable): Promise<FaultEnd> {
  await afterShare(ctx, 0.3);
  const stopping = Date.now();
  await service.stop();
  ctx.log(`  ${service.name} stopped in ${Date.now() - stopping} ms, with ${ctx.load.ended()} of ${ctx.turns} turns ended`);
  await sleep(ctx.outageMs);
  const starting = Date.now();
  await service.start();
  ctx.log(`  ${service.name} back after ${Date.now() - starting} ms of start-up`);
  return { endedAt: Date.now(), restarts: Promise.resolve() };
}

export const FAULTS = {
  'kill-workers': {
    name: 'SIGKILL worker 1, then worker 2',
    async inject(ctx) {
      await afterShare(ctx, 0.2);
      const first = await killAndRestart(ctx, ctx.stack.workers[0]);
      await afterShare(ctx, 0.5);
      const second = await killAndRestart(ctx, ctx.stack.workers[1]);
      return { endedAt: second.endedAt, restarts: Promise.all([first.restart, second.restart]).then(() => undefined) };
    },
  },
  'kill-api': {
    name: 'SIGKILL API process 1 while clients stream',
    async inject(ctx) {
      await afterShare(ctx, 0.3);
      const killed = await killAndRestart(ctx, ctx.stack.apis[0]);
      return { endedAt: killed.endedAt, restarts: killed.restart };
    },
  },
  'stop-ferretdb': { name: 'stop FerretDB (and its PostgreSQL)', inject: (ctx) => outage(ctx, ctx.stack.ferretdb) },
  'stop-redis': { name: 'stop Redis', inject: (ctx) => outage(ctx, ctx.stack.redis) },
  'stop-temporal': { name: 'stop the Temporal dev server', inject: (ctx) => outage(ctx, ctx.stack.temporal) },
  'model-faults': {
    name: 'model fails 20% of calls, stalls 10% mid-stream',
    async inject(ctx) {
      // From the first turn until 60% have ended: every kind of call meets it.
      const before = { ...ctx.stack.model.faultsInjected };
      ctx.stack.model.setFaults({ failRate: 0.2, stallRate: 0.1 });
      await afterShare(ctx, 0.6);
      ctx.stack.model.setFaults(undefined);
      const { status, midstream, stall } = ctx.stack.model.faultsInjected;
      ctx.log(`  the model answered ${status - before.status} calls with 500, cut ${midstream - before.midstream} streams, stalled ${stall - before.stall}`);
      return { endedAt: Date.now(), restarts: Promise.resolve() };
    },
  },
} satisfies Record<string, Fault>;

export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
