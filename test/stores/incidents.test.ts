import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { IncidentDoc } from '../../src/domain/ops';
import { Incidents } from '../../src/stores/incidents';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { services, uniqueName } from '../support/services';

let mongo: MongoStores;
let redis: Redis;
let incidents: Incidents;
const prefix = `${uniqueName('incidents')}:`;
const APP = 'acme';

function incident(id: string): IncidentDoc {
  const at = new Date();
  return {
    app_id: APP,
    incident_id: id,
    workflow_id: id.split(':')[0] ?? id,
    rule: 'burn_spike',
    status: 'open',
    opened_at: at,
    updated_at: at,
    finding: { rule: 'burn_spike', app_id: APP, severity: 'act', summary: 'spend is up', evidence: {}, proposed_action: 'throttle' },
    plan: {
      rule: 'burn_spike',
      action: 'throttle',
      fallback_action: 'notify',
      escalation_action: 'notify',
      autonomy: 'approval',
      promoted: false,
      ttl_seconds: 600,
      approval_timeout_seconds: 600,
      max_escalations: 0,
      throttle_factor: 0.5,
    },
    alerts: 1,
    steps: [{ step_id: 'opened', kind: 'opened', at: at.toISOString() }],
  };
}

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('incidents') }));
  await ensureMongoIndexes(await mongo.dbFor(APP));
  redis = openRedis(services().redisUrl, { keyPrefix: prefix });
  incidents = new Incidents(mongo, redis);
});

afterAll(async () => {
  await (await mongo.dbFor(APP)).dropDatabase();
  await mongo.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
  await redis.quit();
});

it('records a step once, with its changes, however often the activity retries', async () => {
  await incidents.open(incident('ops-a:run1'));
  const step = { step_id: '1:applied', kind: 'applied' as const, at: new Date().toISOString(), action: 'throttle' as const };
  for (let attempt = 0; attempt < 3; attempt++) await incidents.record(APP, 'ops-a:run1', step, { status: 'mitigated' }, new Date());
  await incidents.record(APP, 'ops-a:run1', undefined, { alerts: 4 }, new Date());
  const stored = await incidents.get(APP, 'ops-a:run1');
  expect(stored?.steps.map((s) => s.step_id)).toEqual(['opened', '1:applied']);
  expect(stored).toMatchObject({ status: 'mitigated', alerts: 4 });
});

it('never lets a reader see a step without the changes it came with', async () => {
  // The changes here count the steps, so a read whose count and steps disagree saw half a write.
  await incidents.open(incident('ops-b:run1'));
  let writing = true;
  const torn: string[] = [];
  const reader = (async () => {
    while (writing) {
      const doc = await incidents.get(APP, 'ops-b:run1');
      if (doc && doc.alerts !== doc.steps.length) torn.push(`${doc.steps.length} steps, alerts ${doc.alerts}`);
    }
  })();
  for (let n = 2; n <= 40; n++) {
    await incidents.record(APP, 'ops-b:run1', { step_id: `${n}:notified`, kind: 'notified', at: new Date().toISOString() }, { alerts: n }, new Date());
  }
  writing = false;
  await reader;
  expect(torn).toEqual([]);
  expect((await incidents.get(APP, 'ops-b:run1'))?.steps).toHaveLength(40);
});

