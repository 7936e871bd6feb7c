/**
 * The ops autopilot's activities (task queue `tessera-ops`), built from the clients a worker owns.
 * Every one is idempotent on the ids it is given.
 */
import { actionActivities } from './actions';
import type { OpsActivityDeps } from './context';
import { explainActivities } from './explain';
import { incidentActivities } from './incident';
import { monitorActivities } from './monitor';
import { notifyActivities } from './notify';

export type { OpsActivityDeps } from './context';
export { logNotifier, type Notifier, type OpsNotice, type PackSwitch } from './effects';
export { packStoreSwitch } from './pack-switch';

export function createOpsActivities(deps: OpsActivityDeps) {
  return {
    ...monitorActivities(deps),
    ...incidentActivities(deps),
    ...actionActivities(deps),
    ...explainActivities(deps),
    ...notifyActivities(deps),
  };
}

export type OpsActivities = ReturnType<typeof createOpsActivities>;
