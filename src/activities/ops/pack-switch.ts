/** The ops autopilot's `disable_pack` action on the packs' own per-app switch (the same one
 * `PUT /v1/apps/:app_id/packs/:pack` sets): a disabled pack refuses new runs; running ones finish. */
import type { MongoStores } from '../../stores/mongo';
import { PackStore } from '../../stores/pack-store';
import type { PackSwitch } from './effects';

export function packStoreSwitch(mongo: MongoStores, now: () => Date = () => new Date()): PackSwitch {
  return {
    async setEnabled(appId, pack, enabled) {
      await new PackStore(mongo, appId).setPackEnabled(pack, enabled, now());
    },
  };
}
