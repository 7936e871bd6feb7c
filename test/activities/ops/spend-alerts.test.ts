/**
 * Spend alerts: each app's monthly budget notifies once per month at each threshold (50/80/100 %),
 * right across replicas — two independent sets of ops activities (two workers) sampling at the
 * same time, over and over, send exactly one notification per threshold to a real loopback
 * receiver (the claim is an atomic Redis SET NX; the delivery workflow's id is the second guard).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOpsActivities } from '../../../src/activities/ops';
import { AppCounters } from '../../../src/stores/app-counters';
import { Budgets, budgetScopes } from '../../../src/stores/budgets';
import { Notifications, NotifyChannels } from '../../../src/stores/notifications';
import { OpsPolicies } from '../../../src/stores/ops-policies';
import { startHttpReceiver, type HttpReceiver } from '../../support/notify-receivers';
import { createOpsKit, type OpsKit } from '../../support/ops-kit';
import { startTimeSkipping } from '../../support/temporal';
import { waitFor } from '../../support/wait-for';

const APP = 'spendy';
let env: TestWorkflowEnvironment;
let kit: OpsKit;
let receiver: HttpReceiver;

beforeAll(async () => {
  env = await startTimeSkipping();
  kit = await createOpsKit(env, 'spend-alerts');
  receiver = await startHttpReceiver();
  await new NotifyChannels(kit.mongo).put({ app_id: '_system', name: 'budget-hook', type: 'slack', enabled: true, url: receiver.url, allow_private_addresses: true, updated_at: new Date(), updated_by: 'test' });
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await kit?.close();
  await env?.teardown();
});


it('two workers sampling at once send one alert per threshold and month', async () => {
  await new OpsPolicies(kit.mongo, kit.redis).put(APP, {
    monthly_budget_usd: 1,
    notifications: { routes: [{ rules: ['spend'], severities: [], events: ['spend'], channels: ['budget-hook'] }], spend_thresholds: [0.5, 0.8, 1] },
  }, 'admin', new Date());
  await new AppCounters(kit.redis).increment(APP, { active_runs: 1 }, { dedupId: 'seed', at: new Date() });
  // The second worker: its own activities (own caches), the same stores and Temporal.
  const second = createOpsActivities({ mongo: kit.mongo, redis: kit.redis, temporal: env.client, taskQueue: kit.taskQueue, notifier: { notify: async () => undefined } });
  const budgets = new Budgets(kit.redis);
  const month = new Date().toISOString().slice(0, 7);
  let spent = 0;
  const spend = async (nanos: number) => {
    const scopes = [budgetScopes.appMonth(APP, new Date())];
    const id = `spend-${spent}`;
    await budgets.reserve(scopes, id, nanos);
    await budgets.settle(scopes, id, nanos);
    spent += nanos;
  };
  const sampleTogether = () => Promise.all([kit.activities.sampleMetrics(), second.sampleMetrics(), kit.activities.sampleMetrics(), second.sampleMetrics()]);

  await kit.withWorker(async () => {
    await sampleTogether();
    await spend(450_000_000);
    await sampleTogether();
    expect(receiver.requests).toHaveLength(0);
    await spend(100_000_000); // 55 %
    await sampleTogether();
    await waitFor('the 50 % alert', () => (receiver.requests.length >= 1 ? true : undefined));
    await spend(300_000_000); // 85 %
    await sampleTogether();
    await sampleTogether();
    await waitFor('the 80 % alert', () => (receiver.requests.length >= 2 ? true : undefined));
    await spend(150_000_000); // 100 %
    await Promise.all([sampleTogether(), sampleTogether()]);
    await waitFor('the 100 % alert', () => (receiver.requests.length >= 3 ? true : undefined));
    await sampleTogether();
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });

  expect(receiver.requests.map((request) => request.id)).toEqual([`spend:${APP}:${month}:50`, `spend:${APP}:${month}:80`, `spend:${APP}:${month}:100`]);
  const texts = receiver.requests.map((request) => (request.body as { text: string }).text);
  expect(texts[0]).toMatch(/\[spendy\] Spend alert — spendy has spent \$0\.55 of its \$1\.00 monthly budget \(\d{4}-\d{2}\): 50 % reached/);
  expect(texts[2]).toContain('100 % reached');
  const records = await new Notifications(kit.mongo, kit.redis).list({ app_id: APP, channel: 'budget-hook', limit: 50 });
  expect(records.map((record) => [record.notification_id, record.status, record.attempts, record.event]).sort()).toEqual([
    [`spend:${APP}:${month}:100`, 'delivered', 1, 'spend'],
    [`spend:${APP}:${month}:50`, 'delivered', 1, 'spend'],
    [`spend:${APP}:${month}:80`, 'delivered', 1, 'spend'],
  ]);
});
