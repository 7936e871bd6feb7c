/**
 * Dedicated data planes: an app moved to a plane of its own (`TESSERA_DATA_PLANES`) keeps its
 * documents in its own MongoDB database (through `resolveStorage(app_id)`) and runs its chats and
 * packs on its own task queue, served by workers of their own. Every other app shares the default
 * database and queue. Configuration only: no code path differs between the two.
 */
import type { ResolveStorage, StorageLocation } from './mongo';

export interface DataPlaneSetting {
  mongodb_uri?: string | undefined;
  mongodb_db: string;
  task_queue?: string | undefined;
}

export interface DedicatedPlane {
  appId: string;
  storage: StorageLocation;
  taskQueue: string;
}

export class DataPlanes {
  private readonly planes: ReadonlyMap<string, DedicatedPlane>;

  constructor(
    readonly shared: StorageLocation,
    settings: Readonly<Record<string, DataPlaneSetting>> = {},
  ) {
    this.planes = new Map(
      Object.entries(settings).map(([appId, setting]) => [
        appId,
        {
          appId,
          storage: { uri: setting.mongodb_uri ?? shared.uri, db: setting.mongodb_db },
          taskQueue: setting.task_queue ?? `tessera-chat-${appId}`,
        },
      ]),
    );
    const queues = new Set<string>();
    for (const plane of this.planes.values()) {
      if (plane.storage.uri === shared.uri && plane.storage.db === shared.db) {
        throw new Error(`data plane of ${plane.appId}: its database is the shared one (${shared.db})`);
      }
      if (queues.has(plane.taskQueue)) throw new Error(`data plane of ${plane.appId}: task queue ${plane.taskQueue} is used twice`);
      queues.add(plane.taskQueue);
    }
  }

  readonly resolveStorage: ResolveStorage = (appId: string) => {
    if (!appId) throw new Error('resolveStorage needs an app_id');
    return this.planes.get(appId)?.storage ?? this.shared;
  };

  /** The app's chat task queue when it has a plane of its own; undefined: the shared queue. */
  chatTaskQueue(appId: string): string | undefined {
    return this.planes.get(appId)?.taskQueue;
  }

  dedicated(): DedicatedPlane[] {
    return [...this.planes.values()];
  }
}
