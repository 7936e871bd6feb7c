/**
 * Fills the store with other tenants' history before the "loaded" phases: `messages` chat messages
 * (and a session per chat, and a usage event per assistant message) spread over `apps` apps that
 * the measured turns never touch. Growth in one tenant must not slow another.
 */
import type { Db } from 'mongodb';

const BATCH = 2000;
const MESSAGES_PER_CHAT = 40;

export async function seedOtherTenants(db: Db, opts: { messages: number; apps: number }): Promise<{ ms: number }> {
  const started = performance.now();
  const at = new Date();
  const chats = Math.ceil(opts.messages / MESSAGES_PER_CHAT);
  const appOf = (chat: number) => `seeded-${chat % opts.apps}`;
  for (let first = 0; first < opts.messages; first += BATCH) {
    const messages = [];
    const usage = [];
    for (let i = first; i < Math.min(first + BATCH, opts.messages); i++) {
      const chat = Math.floor(i / MESSAGES_PER_CHAT);
      const seq = (i % MESSAGES_PER_CHAT) + 1;
      const role = seq % 2 === 1 ? 'user' : 'assistant';
      const common = { app_id: appOf(chat), chat_id: `chat-${chat}`, turn_id: `turn-${chat}-${Math.ceil(seq / 2)}` };
      messages.push({ ...common, message_id: `msg-${i}`, seq, role, status: 'complete', created_at: at, content: `seeded message ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}` });
      if (role === 'assistant') {
        usage.push({ ...common, event_id: `seeded-${i}`, user_id: 'u', step: 0, template: 'assistant', provider: 'openai', model: 'gpt-4.1-mini', input_tokens: 100, cached_input_tokens: 0, output_tokens: 40, cost_nanos: 1000, priced: true, price_table_version: 'seed', latency_ms: 5, ttft_ms: 1, status: 'ok', ts: at });
      }
    }
    await db.collection('chat_messages').insertMany(messages, { ordered: false });
    if (usage.length > 0) await db.collection('usage_events').insertMany(usage, { ordered: false });
  }
  for (let first = 0; first < chats; first += BATCH) {
    const sessions = [];
    for (let chat = first; chat < Math.min(first + BATCH, chats); chat++) {
      sessions.push({ app_id: appOf(chat), chat_id: `chat-${chat}`, user_id: 'u', template: 'assistant', status: 'active', turn_count: MESSAGES_PER_CHAT / 2, next_seq: MESSAGES_PER_CHAT + 1, totals: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, cost_nanos: 0, unpriced_calls: 0 }, created_at: at, updated_at: at });
    }
    await db.collection('chat_sessions').insertMany(sessions, { ordered: false });
  }
  return { ms: performance.now() - started };
}
