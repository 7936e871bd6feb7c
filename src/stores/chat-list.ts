/**
 * Chat sessions of one app as a newest-first list (the console's Chats page, `GET /v1/chats`): all of
 * them or one user's, most recently updated first, in pages that start strictly after the last
 * (updated_at, chat_id) the previous page returned. Every query is the tenant collection's, so it
 * carries the app id.
 */
import type { Filter } from 'mongodb';
import type { ListPosition } from '../domain/api/list-cursor';
import type { ChatSessionDoc } from './documents';
import type { TenantCollections } from './tenant-collection';

export interface ChatListPage {
  limit: number;
  userId?: string;
  /** Only chats updated before this instant (the older `before` paging). */
  before?: Date;
  /** Only chats after this position in the list (the cursor of the previous page). */
  after?: ListPosition;
}

/** A page of the app's chats, newest first; the `(app_id, updated_at)` and
 * `(app_id, user_id, updated_at)` indexes serve it. */
export async function listChatSessions(collections: Pick<TenantCollections, 'sessions'>, page: ChatListPage): Promise<ChatSessionDoc[]> {
  const clauses: Filter<ChatSessionDoc>[] = [];
  if (page.userId !== undefined) clauses.push({ user_id: page.userId });
  if (page.before) clauses.push({ updated_at: { $lt: page.before } });
  if (page.after) {
    clauses.push({ $or: [{ updated_at: { $lt: page.after.at } }, { updated_at: page.after.at, chat_id: { $lt: page.after.id } }] });
  }
  const filter: Filter<ChatSessionDoc> = clauses.length === 0 ? {} : clauses.length === 1 ? clauses[0]! : { $and: clauses };
  return collections.sessions.find<ChatSessionDoc>(filter, { sort: { updated_at: -1, chat_id: -1 }, limit: page.limit, projection: { _id: 0 } });
}
