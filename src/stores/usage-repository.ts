/** Usage events (one per LLM call) for one app, written idempotently on `event_id`. */
import type { UsageEventDoc } from './documents';
import { isDuplicateKeyError } from './mongo-errors';
import type { TenantCollection, TenantCollections, TenantInput } from './tenant-collection';

export class UsageRepository {
  private readonly events: TenantCollection<UsageEventDoc>;

  constructor(collections: Pick<TenantCollections, 'usageEvents'>) {
    this.events = collections.usageEvents;
  }

  /** Inserts the event unless its id exists; then the stored one is returned (never a second charge). */
  async insert(event: TenantInput<UsageEventDoc>): Promise<{ event: UsageEventDoc; inserted: boolean }> {
    try {
      await this.events.insertOne({ ...event });
      return { event: { ...event, app_id: this.events.appId }, inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const stored = await this.find(event.event_id);
    // The id is taken, but not in this app: event ids embed the app id, so this is a caller bug.
    if (!stored) throw new Error(`usage event ${event.event_id} exists outside app ${this.events.appId}`);
    return { event: stored, inserted: false };
  }

  async find(eventId: string): Promise<UsageEventDoc | null> {
    return this.events.findOne({ event_id: eventId }, { projection: { _id: 0 } });
  }

  /** One turn's usage events (one per LLM call). */
  async forTurn(chatId: string, turnId: string): Promise<UsageEventDoc[]> {
    return this.events.find<UsageEventDoc>({ chat_id: chatId, turn_id: turnId }, { sort: { step: 1 }, projection: { _id: 0 } });
  }

  /** A chat's usage events in time order. */
  async forChat(chatId: string): Promise<UsageEventDoc[]> {
    return this.events.find<UsageEventDoc>({ chat_id: chatId }, { sort: { ts: 1, step: 1 }, projection: { _id: 0 } });
  }
}
