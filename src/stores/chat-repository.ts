/**
 * Chat sessions and their messages for one app. Every write is idempotent on its id, so a retried
 * activity lands on the document an earlier attempt wrote instead of duplicating it.
 */
import { Long, type Filter } from 'mongodb';
import type { UsageTotals } from '../domain/chat';
import { ChatWindows } from './chat-windows';
import type { ChatMessageDoc, ChatSessionDoc, MessageStatus } from './documents';
import { isDuplicateKeyError } from './mongo-errors';
import type { TenantCollection, TenantCollections, TenantInput } from './tenant-collection';

/** A message id already names a message of another chat (ids are unique per app). */
export class MessageIdConflictError extends Error {
  constructor(messageId: string, chatId: string, otherChatId: string) {
    super(`message id ${messageId} of chat ${chatId} is already used by chat ${otherChatId}`);
    this.name = 'MessageIdConflictError';
  }
}

/** Two different messages claimed the same seq of a chat: a bug in whoever hands out seqs. */
export class SeqConflictError extends Error {
  constructor(chatId: string, seq: number, messageId: string) {
    super(`chat ${chatId}: seq ${seq} is taken by another message than ${messageId}`);
    this.name = 'SeqConflictError';
  }
}

export interface NewSession {
  chatId: string;
  userId: string;
  template: string;
  now: Date;
}

export interface TranscriptOptions {
  /** Keep only the newest `last` messages (still returned oldest first). */
  last: number;
  /** Only messages before this seq (a step never sees what was written after it). */
  beforeSeq?: number;
  excludeStatuses?: MessageStatus[];
}

const ZERO_TOTALS: UsageTotals = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, cost_nanos: 0, unpriced_calls: 0 };

export class ChatRepository {
  private readonly sessions: TenantCollection<ChatSessionDoc>;
  private readonly messages: TenantCollection<ChatMessageDoc>;
  private readonly windows: ChatWindows;

  constructor(collections: Pick<TenantCollections, 'sessions' | 'messages' | 'windows'>) {
    this.sessions = collections.sessions;
    this.messages = collections.messages;
    this.windows = new ChatWindows(collections.windows, collections.messages);
  }

  /** Creates the session unless it exists; `created` tells which. An existing one is untouched. */
  async openSession(input: NewSession): Promise<{ session: ChatSessionDoc; created: boolean }> {
    let created = false;
    try {
      const result = await this.sessions.updateOne(
        { chat_id: input.chatId },
        {
          $setOnInsert: {
            chat_id: input.chatId,
            user_id: input.userId,
            template: input.template,
            status: 'active',
            turn_count: 0,
            next_seq: 1,
            totals: { ...ZERO_TOTALS },
            created_at: input.now,
            updated_at: input.now,
          },
        },
        { upsert: true },
      );
      created = result.upserted;
    } catch (error) {
      // Two concurrent upserts: the loser hits the unique (app_id, chat_id) index.
      if (!isDuplicateKeyError(error)) throw error;
    }
    const session = await this.getSession(input.chatId);
    if (!session) throw new Error(`chat ${input.chatId}: session vanished right after its upsert`);
    return { session, created };
  }

  async getSession(chatId: string): Promise<ChatSessionDoc | null> {
    return this.sessions.findOne({ chat_id: chatId }, { projection: { _id: 0 } });
  }

  /** A user's chats, most recently updated first (the `(app_id, user_id, updated_at)` index). */
  async recentSessions(userId: string, page: { limit: number; before?: Date }): Promise<ChatSessionDoc[]> {
    const filter: Filter<ChatSessionDoc> = { user_id: userId };
    if (page.before) filter.updated_at = { $lt: page.before };
    return this.sessions.find<ChatSessionDoc>(filter, { sort: { updated_at: -1 }, limit: page.limit, projection: { _id: 0 } });
  }

  /** Raises `next_seq` to at least `atLeast` (never lowers it). */
  async bumpNextSeq(chatId: string, atLeast: number, now: Date): Promise<void> {
    await this.sessions.updateOne({ chat_id: chatId }, { $max: { next_seq: atLeast }, $set: { updated_at: now } });
  }

  /** Counts a finished turn once, by turn number: applies only while the session's last counted
   * number (`last_turn_number`; `turn_count` in sessions written before it) is below
   * `turnNumber`; raises `next_seq` to `nextSeq` in the same write. A turn whose messages are kept
   * counts in `turn_count`; a failed one in `failed_turns`, never as a turn; a rolled-back one
   * (its messages deleted) in neither. Its usage counts in `totals` whatever its outcome: what
   * was spent was spent. */
  async recordFinishedTurn(
    chatId: string,
    turn: { turnNumber: number; turnId: string; usage: UsageTotals; now: Date; nextSeq?: number; counted?: 'turn' | 'failed' | 'none' },
  ): Promise<boolean> {
    const { usage } = turn;
    const counted = turn.counted ?? 'turn';
    const result = await this.sessions.updateOne(
      {
        chat_id: chatId,
        $or: [{ last_turn_number: { $lt: turn.turnNumber } }, { last_turn_number: { $exists: false }, turn_count: { $lt: turn.turnNumber } }],
      },
      {
        ...(turn.nextSeq !== undefined ? { $max: { next_seq: turn.nextSeq } } : {}),
        $set: { last_turn_number: turn.turnNumber, last_turn_id: turn.turnId, updated_at: turn.now },
        // The sums are 64-bit (Long): a small number is written as a 32-bit int, and FerretDB wraps
        // a 32-bit $inc past 2^31 (MongoDB widens it), so a chat's cost turned negative past
        // $2.147483648 (2^31 nanodollars). A Long reads back as a number.
        $inc: {
          ...(counted === 'turn' ? { turn_count: 1 } : {}),
          ...(counted === 'failed' ? { failed_turns: 1 } : {}),
          'totals.input_tokens': Long.fromNumber(usage.input_tokens),
          'totals.cached_input_tokens': Long.fromNumber(usage.cached_input_tokens),
          'totals.output_tokens': Long.fromNumber(usage.output_tokens),
          'totals.cost_nanos': Long.fromNumber(usage.cost_nanos),
          'totals.unpriced_calls': usage.unpriced_calls,
        },
      },
    );
    return result.modified > 0;
  }

  /** Closes an active session; false when it was already closed (or does not exist). */
  /** A chat closed for inactivity resumes on its next message; a requested close is final. */
  async reopenAfterInactivity(chatId: string, now: Date): Promise<boolean> {
    const result = await this.sessions.updateOne(
      { chat_id: chatId, status: 'closed', closed_reason: 'inactivity' },
      { $set: { status: 'active', updated_at: now }, $unset: { closed_reason: '', closed_at: '' } },
    );
    return result.modified > 0;
  }

  async closeSession(chatId: string, reason: string, now: Date): Promise<boolean> {
    const result = await this.sessions.updateOne(
      { chat_id: chatId, status: 'active' },
      { $set: { status: 'closed', closed_reason: reason, closed_at: now, updated_at: now } },
    );
    return result.modified > 0;
  }

  /** Inserts the message unless its `message_id` exists in the chat; then the stored one is
   * returned as is. The same id in another chat of the app is a conflict, never a match.
   * The chat's window is written first: a write that fails in between is retried by its activity,
   * while a message stored without its window copy would be found by the retry and not written
   * again. When the record already holds the seq, the window is set back to what it holds. */
  /**
   * Stores a message and its window copy. With `window: false` the copy is left for a later
   * message of the same step: `alsoInWindow` writes it with that one's, in the same window
   * update (one write for both); until then only this step, which holds it, needs it.
   */
  async insertMessage(
    message: TenantInput<ChatMessageDoc>,
    options: { window?: boolean; alsoInWindow?: readonly TenantInput<ChatMessageDoc>[] } = {},
  ): Promise<{ message: ChatMessageDoc; inserted: boolean }> {
    const inWindow = options.window === false;
    if (!inWindow) await this.windows.putMany([...(options.alsoInWindow ?? []), message]);
    try {
      await this.messages.insertOne({ ...message });
      return { message: { ...message, app_id: this.messages.appId }, inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const [stored, atSeq] = await Promise.all([
      this.messages.findOne<ChatMessageDoc>({ message_id: message.message_id }, { projection: { _id: 0 } }),
      this.messages.findOne<ChatMessageDoc>({ chat_id: message.chat_id, seq: message.seq }, { projection: { _id: 0 } }),
    ]);
    if (!inWindow) await (atSeq ? this.windows.put(atSeq) : this.windows.remove(message.chat_id, [message.seq]));
    if (!stored) throw new SeqConflictError(message.chat_id, message.seq, message.message_id);
    if (stored.chat_id !== message.chat_id) throw new MessageIdConflictError(message.message_id, message.chat_id, stored.chat_id);
    return { message: stored, inserted: false };
  }

  async findMessage(chatId: string, messageId: string): Promise<ChatMessageDoc | null> {
    return this.messages.findOne({ chat_id: chatId, message_id: messageId }, { projection: { _id: 0 } });
  }

  /** The chat's newest messages, oldest first. Before a given seq (what a turn sends to the model)
   * they come from the chat's windows: point reads by `_id`, flat as the chat grows. */
  async transcript(chatId: string, options: TranscriptOptions): Promise<ChatMessageDoc[]> {
    if (options.beforeSeq !== undefined) {
      return this.windows.newest(chatId, { ...options, beforeSeq: options.beforeSeq });
    }
    const filter: Filter<ChatMessageDoc> = { chat_id: chatId };
    const excluded = options.excludeStatuses ?? [];
    if (excluded.length > 0) filter.status = { $nin: excluded };
    const newestFirst = await this.messages.find<ChatMessageDoc>(filter, {
      sort: { seq: -1 },
      limit: options.last,
      projection: { _id: 0 },
    });
    return newestFirst.reverse();
  }

  /** A page of the transcript in seq order, after a given seq. */
  async messagesAfter(chatId: string, afterSeq: number, limit: number): Promise<ChatMessageDoc[]> {
    return this.messages.find<ChatMessageDoc>(
      { chat_id: chatId, seq: { $gt: afterSeq } },
      { sort: { seq: 1 }, limit, projection: { _id: 0 } },
    );
  }

  /** The turn's final answer (its last assistant message that asked for no tool), if it has one. */
  async finalReply(chatId: string, turnId: string): Promise<ChatMessageDoc | null> {
    const [last] = await this.messages.find<ChatMessageDoc>(
      { chat_id: chatId, turn_id: turnId, role: 'assistant', status: 'complete' },
      { sort: { seq: -1 }, limit: 1, projection: { _id: 0 } },
    );
    return last && (last.tool_calls ?? []).length === 0 ? last : null;
  }

  async setTurnStatus(chatId: string, turnId: string, status: MessageStatus): Promise<number> {
    const seqs = await this.turnSeqs(chatId, turnId);
    const { modified } = await this.messages.updateMany({ chat_id: chatId, turn_id: turnId }, { $set: { status } });
    await this.windows.setStatus(chatId, seqs, status);
    return modified;
  }

  async deleteTurnMessages(chatId: string, turnId: string): Promise<number> {
    const seqs = await this.turnSeqs(chatId, turnId);
    const deleted = await this.messages.deleteMany({ chat_id: chatId, turn_id: turnId });
    await this.windows.remove(chatId, seqs);
    return deleted;
  }

  /** For whoever deletes messages from the record otherwise (retention): drops their window copies. */
  async forgetInWindows(messages: readonly Pick<ChatMessageDoc, 'chat_id' | 'seq'>[]): Promise<void> {
    const byChat = new Map<string, number[]>();
    for (const { chat_id, seq } of messages) byChat.set(chat_id, [...(byChat.get(chat_id) ?? []), seq]);
    await Promise.all([...byChat].map(([chatId, seqs]) => this.windows.remove(chatId, seqs)));
  }

  private async turnSeqs(chatId: string, turnId: string): Promise<number[]> {
    const docs = await this.messages.find<Pick<ChatMessageDoc, 'seq'>>({ chat_id: chatId, turn_id: turnId }, { projection: { _id: 0, seq: 1 } });
    return docs.map((doc) => doc.seq);
  }
}
