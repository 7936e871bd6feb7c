/**
 * Notification state in MongoDB, every query scoped by `app_id` (TenantCollection):
 * - `notify_channels`: the configured channels (global ones live in the `_system` scope), their
 *   secret encrypted;
 * - `notifications`: the delivery record, one document per notification and channel (status,
 *   attempts, last error), written idempotently on `(notification_id, channel)`;
 * - `notify_link_uses`: approve/reject links spent, one insert per link id (the unique index makes
 *   the second use lose, on every API replica).
 * The apps that ever had a notification are kept in a Redis set, so an admin listing across apps
 * still queries each app's own scope.
 */
import type { Redis } from 'ioredis';
import type { ChannelDoc, DeliveryStatus, NotificationDoc } from '../domain/ops';
import type { MongoStores } from './mongo';
import { isDuplicateKeyError } from './mongo-errors';
import { TenantCollection, type TenantDoc } from './tenant-collection';

/** The scope of channels every app's routes may name. */
export const GLOBAL_CHANNEL_SCOPE = '_system';
const APPS_KEY = 'ops:notification-apps';

function scoped<T extends TenantDoc>(mongo: MongoStores, appId: string, name: string): TenantCollection<T> {
  return new TenantCollection<T>(appId, name, () => mongo.collectionFor<T>(appId, name));
}

export class NotifyChannels {
  constructor(private readonly mongo: MongoStores) {}

  async put(doc: ChannelDoc): Promise<void> {
    const { app_id: appId, ...rest } = doc;
    await this.collection(appId).updateOne({ name: doc.name }, { $set: rest }, { upsert: true });
  }

  async get(name: string, appId = GLOBAL_CHANNEL_SCOPE): Promise<ChannelDoc | null> {
    return this.collection(appId).findOne<ChannelDoc>({ name }, { projection: { _id: 0 } });
  }

  async list(appId = GLOBAL_CHANNEL_SCOPE): Promise<ChannelDoc[]> {
    return this.collection(appId).find<ChannelDoc>({}, { sort: { name: 1 }, limit: 500, projection: { _id: 0 } });
  }

  async remove(name: string, appId = GLOBAL_CHANNEL_SCOPE): Promise<boolean> {
    return (await this.collection(appId).deleteMany({ name })) > 0;
  }

  private collection(appId: string): TenantCollection<ChannelDoc> {
    return scoped<ChannelDoc>(this.mongo, appId, 'notify_channels');
  }
}

export interface NotificationFilter {
  app_id?: string;
  incident_id?: string;
  status?: DeliveryStatus;
  channel?: string;
  limit: number;
}

export class Notifications {
  constructor(
    private readonly mongo: MongoStores,
    private readonly redis: Redis,
  ) {}

  /** Records a notification on a channel as pending, unless it is recorded already. */
  async open(doc: Omit<NotificationDoc, 'status' | 'attempts' | 'updated_at'>): Promise<void> {
    await this.redis.sadd(APPS_KEY, doc.app_id);
    const { app_id: appId, notification_id: notificationId, channel, created_at: createdAt, ...rest } = doc;
    try {
      await this.collection(appId).updateOne(
        { notification_id: notificationId, channel },
        { $setOnInsert: { ...rest, notification_id: notificationId, channel, created_at: createdAt, updated_at: createdAt, status: 'pending', attempts: 0 } },
        { upsert: true },
      );
    } catch (error) {
      // Two replicas opening the same record at once: the unique index keeps one.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async get(appId: string, notificationId: string, channel: string): Promise<NotificationDoc | null> {
    return this.collection(appId).findOne<NotificationDoc>({ notification_id: notificationId, channel }, { projection: { _id: 0 } });
  }

  /** One attempt's outcome. A delivered record stays delivered (a late failure report loses). */
  async attempt(
    appId: string,
    notificationId: string,
    channel: string,
    outcome: { status: DeliveryStatus; attempts: number; error?: string },
    now: Date,
  ): Promise<void> {
    await this.collection(appId).updateOne(
      { notification_id: notificationId, channel, status: { $ne: 'delivered' } },
      {
        $set: {
          status: outcome.status,
          updated_at: now,
          ...(outcome.error !== undefined ? { last_error: outcome.error } : {}),
          ...(outcome.status === 'delivered' ? { delivered_at: now } : {}),
        },
        $max: { attempts: outcome.attempts },
      },
    );
  }

  async list(filter: NotificationFilter): Promise<NotificationDoc[]> {
    const apps = filter.app_id ? [filter.app_id] : (await this.redis.smembers(APPS_KEY)).sort();
    const query = {
      ...(filter.incident_id ? { incident_id: filter.incident_id } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.channel ? { channel: filter.channel } : {}),
    };
    const perApp = await Promise.all(
      apps.map((appId) => this.collection(appId).find<NotificationDoc>(query, { sort: { created_at: -1 }, limit: filter.limit, projection: { _id: 0 } })),
    );
    return perApp.flat().sort((a, b) => b.created_at.getTime() - a.created_at.getTime()).slice(0, filter.limit);
  }

  private collection(appId: string): TenantCollection<NotificationDoc> {
    return scoped<NotificationDoc>(this.mongo, appId, 'notifications');
  }
}

interface LinkUseDoc {
  app_id: string;
  link_id: string;
  incident_id: string;
  decision: string;
  actor: string;
  used_at: Date;
}

export class DecisionLinkUses {
  constructor(private readonly mongo: MongoStores) {}

  /** Spends the link: true for the one use that wins, false when it was spent before. */
  async spend(doc: LinkUseDoc): Promise<boolean> {
    try {
      await scoped<LinkUseDoc>(this.mongo, doc.app_id, 'notify_link_uses').insertOne(doc);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async get(appId: string, linkId: string): Promise<LinkUseDoc | null> {
    return scoped<LinkUseDoc>(this.mongo, appId, 'notify_link_uses').findOne<LinkUseDoc>({ link_id: linkId }, { projection: { _id: 0 } });
  }
}
