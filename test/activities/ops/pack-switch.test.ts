/** The autopilot's pack switch is the packs' own per-app switch: disabling refuses new runs of that
 * pack for that app only, re-enabling lets them in again (real FerretDB). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packStoreSwitch } from '../../../src/activities/ops';
import { defaultStorageResolver, ensureMongoIndexes, MongoStores } from '../../../src/stores/mongo';
import { packEnabled, PackStore } from '../../../src/stores/pack-store';
import { services, uniqueName } from '../../support/services';

let mongo: MongoStores;

beforeAll(async () => {
  mongo = new MongoStores(defaultStorageResolver({ uri: services().mongoUri, db: uniqueName('packswitch') }));
  await ensureMongoIndexes(await mongo.dbFor('_system'));
});

afterAll(async () => {
  await (await mongo.dbFor('_system')).dropDatabase();
  await mongo.close();
});

const enabled = async (appId: string, pack: string) => packEnabled(await new PackStore(mongo, appId).getSettings(), pack);

it('disables and re-enables one pack of one app', async () => {
  const packSwitch = packStoreSwitch(mongo);
  expect(await enabled('noisy', 'brief')).toBe(true);

  await packSwitch.setEnabled('noisy', 'brief', false, 'incident:noisy:error_spike');
  expect(await enabled('noisy', 'brief')).toBe(false);
  expect(await enabled('noisy', 'other')).toBe(true);
  expect(await enabled('quiet', 'brief')).toBe(true);

  await packSwitch.setEnabled('noisy', 'brief', true, 'incident:noisy:error_spike');
  expect(await enabled('noisy', 'brief')).toBe(true);
});
