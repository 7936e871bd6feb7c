/**
 * Erasing one user of one app from the system of record: their chat sessions, messages (record
 * and window copies) and live event streams are deleted; their usage events stay (they are the
 * app's bill) but lose the user id, which is replaced by `erased:{pseudonym}`. Idempotent.
 */
import type { Redis } from 'ioredis';
import { ChatEvents } from './chat-events';
import type { MongoStores } from './mongo';
import { tenantCollections } from './tenant-collection';

export interface ErasedRecords {
  chats: number;
  messages: number;
  usage_events_unlinked: number;
}

export async function eraseUserRecords(
  mongo: MongoStores,
  redis: Redis,
  ref: { appId: string; userId: string; pseudonym: string },
): Promise<ErasedRecords> {
  const c = tenantCollections(mongo, ref.appId);
  const sessions = await c.sessions.find<{ chat_id: string }>({ user_id: ref.userId }, { projection: { _id: 0, chat_id: 1 } });
  let messages = 0;
  for (const { chat_id } of sessions) {
    messages += await c.messages.deleteMany({ chat_id });
    await c.windows.deleteMany({ chat_id });
    await redis.del(ChatEvents.streamKey({ appId: ref.appId, chatId: chat_id }));
  }
  const chats = await c.sessions.deleteMany({ user_id: ref.userId });
  const unlinked = await c.usageEvents.updateMany({ user_id: ref.userId }, { $set: { user_id: `erased:${ref.pseudonym}` } });
  return { chats, messages, usage_events_unlinked: unlinked.modified };
}
