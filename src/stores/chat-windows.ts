/**
 * Each chat's newest messages in window documents read by `_id` (`{app}:{chat}:{window}`, one per
 * `WINDOW_SIZE` seqs), so the transcript a turn sends to the model is two point reads however long
 * the chat has grown. FerretDB 1.x (the embedded store) pushes down equality only: a range, sort
 * and limit on `chat_messages` reads all of a chat's messages; on MongoDB it is an index scan
 * either way, and the windows cost one small write per message.
 *
 * `chat_messages` stays the record. Writers keep the window of a message's seq up to date
 * (messages set by `m{seq}`, so a retry writes the same field); a window that was started after
 * older messages of its range existed (data from before windows, or an unused seq) is completed
 * once from `chat_messages` on its first read (its `min_seq` then drops to the window's first seq). Only the two newest windows of a chat are kept.
 */
import type { UpdateFilter } from 'mongodb';
import type { ChatMessageDoc, ChatWindowDoc, MessageStatus } from './documents';
import { isDuplicateKeyError } from './mongo-errors';
import type { TenantCollection } from './tenant-collection';

export const WINDOW_SIZE = 64;

type WindowMessage = ChatWindowDoc['messages'][string];

export interface NewestOptions {
  /** How many messages (the newest, returned oldest first). */
  last: number;
  /** Only messages before this seq. */
  beforeSeq: number;
  excludeStatuses?: readonly MessageStatus[];
}

export const windowOf = (seq: number): number => Math.floor(seq / WINDOW_SIZE);
const firstSeqOf = (window: number): number => Math.max(1, window * WINDOW_SIZE);
const field = (seq: number): string => `messages.m${seq}`;

export class ChatWindows {
  constructor(
    private readonly windows: TenantCollection<ChatWindowDoc>,
    private readonly messages: TenantCollection<ChatMessageDoc>,
  ) {}

  id(chatId: string, window: number): string {
    return `${this.windows.appId}:${chatId}:${window}`;
  }

  /** Writes (or overwrites) a message at its seq. Starting a window drops the one two back. */
  async put(message: Omit<ChatMessageDoc, 'app_id'> & { app_id?: string }): Promise<void> {
    await this.putMany([message]);
  }

  /** `put` for messages of one chat: one update per window they fall in (usually one). */
  async putMany(messages: readonly (Omit<ChatMessageDoc, 'app_id'> & { app_id?: string })[]): Promise<void> {
    for (const [window, inWindow] of byWindow(messages, (message) => message.seq)) {
      const chatId = (inWindow[0] as (typeof messages)[number]).chat_id;
      const newest = inWindow.reduce((a, b) => (b.created_at > a.created_at ? b : a));
      const created = await this.upsert(chatId, window, {
        $set: { ...Object.fromEntries(inWindow.map((message) => [field(message.seq), entry(message)])), updated_at: newest.created_at },
        $min: { min_seq: Math.min(...inWindow.map((message) => message.seq)) },
      });
      if (created && window >= 2) await this.windows.deleteMany({ _id: this.id(chatId, window - 2) });
    }
  }

  /** Removes messages (deleted from the record) from their windows. */
  async remove(chatId: string, seqs: readonly number[]): Promise<void> {
    await this.perWindow(chatId, seqs, (inWindow) => ({ $unset: Object.fromEntries(inWindow.map((seq) => [field(seq), ''])) }));
  }

  async setStatus(chatId: string, seqs: readonly number[], status: MessageStatus): Promise<void> {
    await this.perWindow(chatId, seqs, (inWindow) => ({
      $set: Object.fromEntries(inWindow.map((seq) => [`${field(seq)}.status`, status])),
    }));
  }

  /** The chat's newest messages before `beforeSeq`, oldest first: the windows covering the range,
   * and older ones only while too few messages were found (unused seqs, excluded statuses). */
  async newest(chatId: string, options: NewestOptions): Promise<ChatMessageDoc[]> {
    const top = options.beforeSeq - 1;
    if (top < 1 || options.last <= 0) return [];
    const excluded = new Set<string>(options.excludeStatuses ?? []);
    const found: WindowMessage[] = [];
    let high = windowOf(top);
    let low = windowOf(Math.max(1, top - options.last + 1));
    for (;;) {
      const windows = await Promise.all(range(low, high).map((window) => this.read(chatId, window)));
      for (const message of windows.flat()) {
        if (message.seq <= top && !excluded.has(message.status)) found.push(message);
      }
      if (found.length >= options.last || low === 0) break;
      high = low - 1;
      low = high;
    }
    found.sort((a, b) => a.seq - b.seq);
    return found.slice(-options.last).map((message) => ({ ...message, app_id: this.windows.appId }));
  }

  /** One window's messages, completed from `chat_messages` the first time it is found short. */
  private async read(chatId: string, window: number): Promise<WindowMessage[]> {
    const doc = await this.windows.findOne<ChatWindowDoc>({ _id: this.id(chatId, window) });
    const first = firstSeqOf(window);
    if (doc && doc.min_seq <= first) return Object.values(doc.messages);
    const older = await this.messages.find<ChatMessageDoc>(
      { chat_id: chatId, seq: { $gte: first, $lt: doc ? doc.min_seq : firstSeqOf(window + 1) } },
      { projection: { _id: 0 } },
    );
    if (!doc && older.length === 0) return [];
    const newestAt = new Date(Math.max(0, ...older.map((message) => message.created_at.getTime())));
    // min_seq down to the window's first seq: complete from now on.
    await this.upsert(chatId, window, {
      // No empty `$set` (MongoDB before 5.0 refuses one).
      ...(older.length > 0 ? { $set: Object.fromEntries(older.map((message) => [field(message.seq), entry(message)])) } : {}),
      $min: { min_seq: first },
      $max: { updated_at: newestAt },
    });
    return [...Object.values(doc?.messages ?? {}), ...older.map(entry)];
  }

  private async perWindow(chatId: string, seqs: readonly number[], update: (inWindow: number[]) => Record<string, unknown>): Promise<void> {
    await Promise.all(
      [...byWindow(seqs, (seq) => seq)].map(([window, inWindow]) =>
        this.windows.updateOne({ _id: this.id(chatId, window) }, update(inWindow) as UpdateFilter<ChatWindowDoc>),
      ),
    );
  }

  /** Upserts a window by `_id`; true when this call created it. Two writers creating the same
   * window at once: the loser's insert hits the `_id` and is retried as an update. */
  private async upsert(chatId: string, window: number, update: Record<string, Record<string, unknown>>): Promise<boolean> {
    const full = { ...update, $setOnInsert: { chat_id: chatId, window } } as UpdateFilter<ChatWindowDoc>;
    const write = () => this.windows.updateOne({ _id: this.id(chatId, window) }, full, { upsert: true });
    try {
      return (await write()).upserted;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return (await write()).upserted;
    }
  }
}

function entry(message: Omit<ChatMessageDoc, 'app_id'> & { app_id?: string; _id?: unknown }): WindowMessage {
  const { app_id: _app, _id: _id, ...rest } = message;
  return rest;
}

/** Items grouped by the window their seq falls in, windows in order of first appearance. */
function byWindow<T>(items: readonly T[], seqOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const window = windowOf(seqOf(item));
    groups.set(window, [...(groups.get(window) ?? []), item]);
  }
  return groups;
}

function range(low: number, high: number): number[] {
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}
