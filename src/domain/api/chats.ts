/** HTTP shapes of the session broker and chat routes. */
import { z } from 'zod';
import { appIdSchema } from '../apps';
import { storableText } from '../text/storable';
import { listCursorSchema } from './list-cursor';
import { ON_BUSY_MODES, TEMPLATE_NAME_MAX_LENGTH, TEMPLATE_NAME_PATTERN } from '../templates';

/** Letters, digits, `.`, `_`, `-` — but not only dots: `.` and `..` would turn the URLs built from
 * a chat id into other paths. */
export const CHAT_ID_PATTERN = /^(?!\.+$)[A-Za-z0-9._-]{1,128}$/;
export const chatIdSchema = z.string().regex(CHAT_ID_PATTERN, 'must be 1-128 letters, digits, . _ or - (not only dots)');
export const userIdSchema = z.string().regex(/^[A-Za-z0-9._:@+-]{1,128}$/, 'must be 1-128 letters, digits or . _ : @ + -');
export const messageIdSchema = z
  .string()
  .regex(CHAT_ID_PATTERN, 'must be 1-128 letters, digits, . _ or - (not only dots)')
  .describe('Client-chosen id: a retried POST with the same id returns the same turn');
export const templateNameSchema = z.string().max(TEMPLATE_NAME_MAX_LENGTH).regex(TEMPLATE_NAME_PATTERN, 'must be a template name');

export const chatParams = z.strictObject({ chat_id: chatIdSchema });

export const sessionBody = z.strictObject({
  template: templateNameSchema,
  user_id: userIdSchema,
  chat_id: chatIdSchema.optional().describe('Resume this chat; a new id is made when absent'),
});

export const CHAT_STATUSES = ['active', 'closed'] as const;

export const sessionView = z.object({
  chat_id: z.string(),
  ws_url: z.string().describe('WebSocket of the chat events; pass the runtime token as `access_token`'),
  sse_url: z.string().describe('Server-sent events of the chat; pass the runtime token as `access_token`'),
  runtime_token: z.string().describe('JWT scoped to this app, user and chat (at most 15 minutes)'),
  expires_at: z.iso.datetime(),
  status: z.enum(CHAT_STATUSES),
});

export const usageView = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cached_input_tokens: z.number().int(),
  cost_usd: z.number(),
  unpriced_calls: z.number().int().describe('LLM calls whose model has no price (never counted as free)'),
});

export const chatView = z.object({
  chat_id: z.string(),
  user_id: z.string(),
  template: z.string(),
  status: z.enum(CHAT_STATUSES),
  closed_reason: z.string().optional(),
  turn_count: z.number().int().describe('Turns completed or cut short by a cancel (a failed turn counts in failed_turns instead)'),
  failed_turns: z.number().int().describe('Turns that failed: their stored messages have status `failed`; their usage still counts in totals'),
  totals: usageView,
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const chatListQuery = z.strictObject({
  user_id: userIdSchema.optional().describe("Only this user's chats; without it an app key (or the admin with `app_id`) lists every chat of the app; a runtime token lists its own user"),
  app_id: appIdSchema.optional().describe('The app whose chats the admin lists (required with the admin key); an app key may name only its own app'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: z.iso.datetime().optional().describe('Only chats updated before this instant (the previous page `next_before`)'),
  cursor: listCursorSchema.optional().describe('Opaque: the previous page `next_cursor`, with the same filters; unlike `before`, never skips chats updated in the same millisecond'),
});

export const chatListView = z.object({
  chats: z.array(chatView),
  next_before: z.iso.datetime().nullable(),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
});

/** `app_id`: the app whose chat the admin reads (required with the admin key, read-only); an app key
 * or runtime token may name only its own app. */
const readerAppId = appIdSchema.optional().describe('The app of the chat, for the admin key (required with it); others may name only their own app');

export const chatReadQuery = z.strictObject({ app_id: readerAppId });

export const chatDetailView = chatView.extend({
  workflow_id: z.string().describe("The chat's Temporal workflow id (find it in the Temporal Web UI)"),
});

export const messageBody = z.strictObject({
  content: storableText().min(1).max(100_000).describe('Any text but NUL (U+0000), which is refused with 400 invalid_text'),
  message_id: messageIdSchema.optional(),
  on_busy: z.enum(ON_BUSY_MODES).optional().describe('What to do while a turn runs (default: the template)'),
});

export const messageQuery = z.strictObject({
  wait: z.enum(['true', 'false']).default('true').describe('false: answer 202 with the turn id at once'),
});

export const turnView = z.object({
  turn_id: z.string(),
  message: z.object({ role: z.literal('assistant'), content: z.string() }),
  usage: usageView,
});

export const acceptedTurnView = z.object({ turn_id: z.string(), status: z.literal('accepted') });

export const transcriptQuery = z.strictObject({
  app_id: readerAppId,
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0).describe('Messages after this seq (the previous page `next_after`)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const transcriptView = z.object({
  messages: z.array(
    z.object({
      message_id: z.string(),
      seq: z.number().int(),
      role: z.enum(['user', 'assistant', 'tool']),
      content: z.string(),
      turn_id: z.string(),
      status: z.string(),
      created_at: z.iso.datetime(),
      name: z.string().optional(),
      tool_calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })).optional(),
    }),
  ),
  next_after: z.number().int().nullable(),
});

export const cancelBody = z.strictObject({ turn_id: z.string().max(128).optional() }).optional();
export const okView = z.object({ ok: z.literal(true) });
