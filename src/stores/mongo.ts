/**
 * MongoDB connection, per-app storage resolution and the indexes Tessera's queries rely on.
 * Runs unchanged on MongoDB and on FerretDB (no transactions, no change streams).
 */
import { MongoClient, type Collection, type Db, type Document, type IndexDescription, type MongoClientOptions } from 'mongodb';

export interface StorageLocation {
  uri: string;
  db: string;
}

/** Picks the database that holds an app's documents. Today every app shares the default database;
 * the indirection is where a dedicated database per tenant plugs in. */
export type ResolveStorage = (appId: string) => StorageLocation;

export function defaultStorageResolver(location: StorageLocation): ResolveStorage {
  return (appId: string) => {
    if (!appId) throw new Error('resolveStorage needs an app_id');
    return location;
  };
}

/**
 * A client whose server has stayed unreachable this long is replaced by a new one on its next use.
 * After FerretDB restarts, the driver can keep a client that never selects the server again: the
 * chaos suite's FerretDB stop left a worker failing every operation with "connection N closed" for
 * minutes while a fresh client connected at once.
 */
export const UNREACHABLE_CLIENT_MS = 15_000;

interface ClientEntry {
  client: Promise<MongoClient>;
  /** Since when the server has been unknown to this client (undefined: reachable). */
  unreachableSince?: number;
}

/** Opens MongoClients lazily, one per distinct URI, and hands out the database for an app. */
export class MongoStores {
  private readonly clients = new Map<string, ClientEntry>();
  /** `Db` and `Collection` handles are built once: the driver resolves their options on every
   * construction, which cost more than a turn's JSON work when done per query. */
  private readonly dbs = new Map<string, Db>();
  private readonly collections = new Map<string, Collection<Document>>();

  /** `clientOptions` are added to every client (tests turn on command monitoring). */
  constructor(
    readonly resolveStorage: ResolveStorage,
    private readonly clientOptions: MongoClientOptions = {},
    private readonly unreachableClientMs = UNREACHABLE_CLIENT_MS,
  ) {}

  async dbFor(appId: string): Promise<Db> {
    const { uri, db } = this.resolveStorage(appId);
    this.replaceIfUnreachable(uri);
    const key = `${uri}\u0000${db}`;
    let handle = this.dbs.get(key);
    if (!handle) {
      handle = (await this.client(uri)).db(db);
      this.dbs.set(key, handle);
    }
    return handle;
  }

  /** The named collection of the app's database (a cached handle). */
  async collectionFor<T extends Document>(appId: string, name: string): Promise<Collection<T>> {
    const { uri, db } = this.resolveStorage(appId);
    this.replaceIfUnreachable(uri);
    const key = `${uri}\u0000${db}\u0000${name}`;
    let handle = this.collections.get(key);
    if (!handle) {
      handle = (await this.dbFor(appId)).collection(name);
      this.collections.set(key, handle);
    }
    return handle as unknown as Collection<T>;
  }

  async client(uri: string): Promise<MongoClient> {
    let entry = this.clients.get(uri);
    if (!entry) {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, appName: 'tessera', ...this.clientOptions });
      const created: ClientEntry = { client: client.connect() };
      // The monitor's view: it marks the server unknown when its checks fail (operations meeting a
      // refused connection do not), and known again once one succeeds.
      const reachable = (yes: boolean) => {
        if (yes) delete created.unreachableSince;
        else created.unreachableSince ??= Date.now();
      };
      client.on('serverDescriptionChanged', (event) => reachable(event.newDescription.type !== 'Unknown'));
      client.on('serverHeartbeatFailed', () => reachable(false));
      client.on('serverHeartbeatSucceeded', () => reachable(true));
      entry = created;
      this.clients.set(uri, created);
      created.client.catch(() => {
        if (this.clients.get(uri) === created) this.clients.delete(uri);
      });
    }
    return entry.client;
  }

  /** Drops the URI's client (and the handles built on it) once its server has been unreachable for
   * UNREACHABLE_CLIENT_MS; the next call connects afresh. Operations still on it fail and are retried. */
  private replaceIfUnreachable(uri: string): void {
    const entry = this.clients.get(uri);
    if (entry?.unreachableSince === undefined || Date.now() - entry.unreachableSince < this.unreachableClientMs) return;
    this.clients.delete(uri);
    for (const cache of [this.dbs, this.collections]) {
      for (const key of cache.keys()) if (key.startsWith(`${uri}\u0000`)) cache.delete(key);
    }
    void entry.client.then((client) => client.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()].map((entry) => entry.client);
    this.clients.clear();
    this.dbs.clear();
    this.collections.clear();
    await Promise.allSettled(clients.map(async (client) => (await client).close()));
  }
}

/** The indexes of DESIGN §4, per collection. */
export const MONGO_INDEXES: Record<string, IndexDescription[]> = {
  apps: [{ key: { app_id: 1 }, unique: true, name: 'app_id_unique' }],
  chat_sessions: [
    { key: { app_id: 1, chat_id: 1 }, unique: true, name: 'app_chat_unique' },
    { key: { app_id: 1, user_id: 1, updated_at: -1 }, name: 'app_user_updated' },
    // GET /v1/chats without user_id (the console's Chats page): an app's chats newest first.
    { key: { app_id: 1, updated_at: -1, chat_id: -1 }, name: 'app_updated_chat' },
    { key: { app_id: 1, template: 1, status: 1, updated_at: -1 }, name: 'app_template_status_updated' },
  ],
  chat_messages: [
    { key: { app_id: 1, chat_id: 1, seq: 1 }, unique: true, name: 'app_chat_seq_unique' },
    { key: { app_id: 1, message_id: 1 }, unique: true, name: 'app_message_unique' },
  ],
  usage_events: [
    { key: { event_id: 1 }, unique: true, name: 'event_id_unique' },
    { key: { ts: 1 }, name: 'ts' },
    { key: { app_id: 1, ts: 1 }, name: 'app_ts' },
  ],
  audit_events: [
    { key: { event_id: 1 }, unique: true, name: 'event_id_unique' },
    { key: { ts: 1 }, name: 'ts' },
    { key: { app_id: 1, seq: 1 }, unique: true, name: 'app_seq_unique' },
    // GET /v1/audit reads an app's log newest first, paging on (ts, seq).
    { key: { app_id: 1, ts: -1, seq: -1 }, name: 'app_ts_seq' },
  ],
  ops_policies: [{ key: { app_id: 1 }, unique: true, name: 'app_id_unique' }],
  incidents: [
    { key: { app_id: 1, incident_id: 1 }, unique: true, name: 'app_incident_unique' },
    { key: { app_id: 1, status: 1, opened_at: -1 }, name: 'app_status_opened' },
  ],
  pack_runs: [
    { key: { app_id: 1, run_id: 1 }, unique: true, name: 'app_run_unique' },
    // GET /v1/pack-runs: an app's runs newest first.
    { key: { app_id: 1, created_at: -1, run_id: -1 }, name: 'app_created_run' },
  ],
  pack_step_outputs: [{ key: { app_id: 1, run_id: 1, step_id: 1 }, unique: true, name: 'app_run_step_unique' }],
  app_pack_settings: [{ key: { app_id: 1 }, unique: true, name: 'app_id_unique' }],
  webhook_deliveries: [{ key: { app_id: 1, webhook_id: 1 }, unique: true, name: 'app_webhook_unique' }],
  notify_channels: [{ key: { app_id: 1, name: 1 }, unique: true, name: 'app_name_unique' }],
  notifications: [
    { key: { app_id: 1, notification_id: 1, channel: 1 }, unique: true, name: 'app_notification_channel_unique' },
    { key: { app_id: 1, created_at: -1 }, name: 'app_created' },
  ],
  notify_link_uses: [{ key: { app_id: 1, link_id: 1 }, unique: true, name: 'app_link_unique' }],
};

/** Creates every missing index. Indexes are created one per call and existing ones skipped:
 * FerretDB 1.24 drops the connection when one `createIndexes` names indexes that already exist. */
export async function ensureMongoIndexes(db: Db): Promise<void> {
  for (const [name, indexes] of Object.entries(MONGO_INDEXES)) {
    const collection = db.collection(name);
    const existing = new Set(
      (await collection.listIndexes().toArray().catch(() => [])).map((index: { name?: string }) => index.name),
    );
    for (const index of indexes) {
      if (!existing.has(index.name)) await collection.createIndexes([index]);
    }
  }
}
