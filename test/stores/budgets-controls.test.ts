/**
 * Budgets and ops levers in Redis: concurrent reservations from two connections never hold past the
 * limit, settling is once per reservation, a dead holder's hold expires; admission honours pause,
 * throttle and a spent budget at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Admission } from '../../src/stores/admission';
import { Budgets, budgetScopes } from '../../src/stores/budgets';
import { OpsControls } from '../../src/stores/ops-controls';
import { openRedis } from '../../src/stores/redis';
import { services, uniqueName } from '../support/services';

let a: Redis;
let b: Redis;
const prefix = `${uniqueName('budgets')}:`;
const now = new Date();

beforeAll(() => {
  a = openRedis(services().redisUrl, { keyPrefix: prefix });
  b = openRedis(services().redisUrl, { keyPrefix: prefix });
});

afterAll(async () => {
  const keys = await a.keys(`${prefix}*`);
  if (keys.length > 0) await a.del(...keys.map((key) => key.slice(prefix.length)));
  await Promise.all([a.quit(), b.quit()]);
});

describe('budgets', () => {
  it('20 concurrent reservations from two connections: exactly the 5 that fit are held', async () => {
    const scope = budgetScopes.appMonth('race', now);
    await new Budgets(a).setLimit(scope, 5_000);
    const replicas = [new Budgets(a), new Budgets(b)];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.reserve([scope], `race:r${i}`, 1_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, scope: 'app:race', limitNanos: 5_000 });
    // Each settles to less than it held; the freed room admits exactly what fits again.
    await Promise.all(results.map((r, i) => (r.ok ? replicas[i % 2]!.settle([scope], `race:r${i}`, 600) : undefined)));
    expect(await replicas[0]!.status(scope)).toEqual({ limitNanos: 5_000, spentNanos: 3_000 });
    const again = await Promise.all(Array.from({ length: 5 }, (_, i) => replicas[0]!.reserve([scope], `race:s${i}`, 1_000)));
    expect(again.filter((r) => r.ok)).toHaveLength(2);
  });

  it('settles once per reservation id, and reserving the same id twice holds once', async () => {
    const scope = budgetScopes.appMonth('once', now);
    const budgets = new Budgets(a);
    await budgets.setLimit(scope, 1_000);
    expect((await budgets.reserve([scope], 'once:1', 800)).ok).toBe(true);
    expect((await budgets.reserve([scope], 'once:1', 800)).ok).toBe(true);
    expect(await budgets.settle([scope], 'once:1', 700)).toBe(true);
    expect(await budgets.settle([scope], 'once:1', 700)).toBe(false);
    expect((await budgets.status(scope)).spentNanos).toBe(700);
  });

  it('a hold whose settler died expires with its lease; no limit means spend is only tracked', async () => {
    const scope = budgetScopes.appMonth('lease', now);
    const shortLease = new Budgets(a, 50);
    await shortLease.setLimit(scope, 1_000);
    expect((await shortLease.reserve([scope], 'lease:1', 1_000)).ok).toBe(true);
    expect((await shortLease.reserve([scope], 'lease:2', 1)).ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await shortLease.reserve([scope], 'lease:2', 1)).ok).toBe(true);

    const free = budgetScopes.appMonth('nolimit', now);
    expect((await shortLease.reserve([free], 'nolimit:1', 1e15)).ok).toBe(true);
  });

  it('a pack run and the app month are both checked: the tighter one refuses', async () => {
    const month = budgetScopes.appMonth('both', now);
    const run = budgetScopes.packRun('both', 'run1');
    const budgets = new Budgets(a);
    await budgets.setLimit(month, 10_000);
    await budgets.setLimit(run, 1_500);
    expect((await budgets.reserve([month, run], 'both:1', 1_000)).ok).toBe(true);
    expect(await budgets.reserve([month, run], 'both:2', 1_000)).toMatchObject({ ok: false, scope: 'pack:both:run1' });
  });
});

describe('admission honours the ops levers', () => {
  const limits = { max_concurrent_turns: 8, turns_per_minute: 1000 };

  it('a pause refuses at once and lifts when cleared', async () => {
    const admission = new Admission(a);
    const controls = new OpsControls(b);
    await controls.pause('paused', 'incident:paused:error_spike', 60_000);
    expect(await admission.admit('paused', 't1', limits)).toMatchObject({ admitted: false, reason: 'paused' });
    await controls.clear('paused', 'pause');
    expect(await admission.admit('paused', 't1', limits)).toEqual({ admitted: true });
  });

  it('a throttle multiplies the concurrency limit by its factor (at least one)', async () => {
    const admission = new Admission(a);
    await new OpsControls(b).throttle('thr', { factor: 0.25, incident_id: 'i1' }, 60_000);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => admission.admit('thr', `t${i}`, limits)));
    expect(results.filter((r) => r.admitted)).toHaveLength(2);
    expect(results.find((r) => !r.admitted)).toMatchObject({ reason: 'concurrency', throttled: true });
    await new OpsControls(b).clear('thr', 'throttle');
    expect((await admission.admit('thr', 't9', limits)).admitted).toBe(true);
  });

  it('a spent monthly budget refuses new turns', async () => {
    const scope = budgetScopes.appMonth('spent', new Date());
    const budgets = new Budgets(b);
    await budgets.setLimit(scope, 100);
    const admission = new Admission(a);
    expect((await admission.admit('spent', 't1', limits)).admitted).toBe(true);
    await budgets.reserve([scope], 'spent:1', 100);
    await budgets.settle([scope], 'spent:1', 100);
    expect(await admission.admit('spent', 't2', limits)).toMatchObject({ admitted: false, reason: 'budget' });
  });
});
