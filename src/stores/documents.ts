/** The MongoDB documents of DESIGN §4 that chat sessions write. Every one carries `app_id`. */
import type { ChainedAuditEvent } from '../domain/audit';
import type { ToolCall, UsageTotals } from '../domain/chat';

export interface ChatSessionDoc {
  app_id: string;
  chat_id: string;
  user_id: string;
  template: string;
  status: 'active' | 'closed';
  /** Turns that completed or were cut short by a cancel (their messages kept, `complete` or
   * `interrupted`); a failed turn is counted in `failed_turns` instead (what it stored is marked
   * `failed`), a rolled-back one (its messages deleted) in neither. */
  turn_count: number;
  /** Turns that failed (absent: none). */
  failed_turns?: number;
  /** The number of the last turn counted in (every outcome): what a recount is checked against,
   * and where the session's turn numbering resumes. Absent in sessions written before it, where
   * `turn_count` was that number. */
  last_turn_number?: number;
  /** Lowest seq not yet handed out: a floor for the workflow's own counter after a restart. */
  next_seq: number;
  totals: UsageTotals;
  created_at: Date;
  updated_at: Date;
  last_turn_id?: string;
  closed_reason?: string;
  closed_at?: Date;
}

export type MessageRole = 'user' | 'assistant' | 'tool';

/** `interrupted`: its turn was cancelled but the message stays in the transcript;
 * `rolled_back`: its turn was dropped (such messages are normally deleted, never sent to a model);
 * `failed`: its turn failed (counted in the session's `failed_turns`); the message stays in the
 * transcript, as the model saw it. */
export type MessageStatus = 'complete' | 'interrupted' | 'rolled_back' | 'failed';

export interface MessageUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
}

export interface ChatMessageDoc {
  app_id: string;
  chat_id: string;
  message_id: string;
  seq: number;
  role: MessageRole;
  content: string;
  turn_id: string;
  status: MessageStatus;
  created_at: Date;
  /** Assistant messages: the tool calls the model asked for. */
  tool_calls?: ToolCall[];
  /** Assistant messages. */
  model?: string;
  usage?: MessageUsage;
  finish_reason?: string;
  step?: number;
  latency_ms?: number;
  ttft_ms?: number;
  /** Tool messages: which call this answers, and the tool's name. */
  tool_call_id?: string;
  name?: string;
  /** Tool messages: false when the content is an error given back to the model. */
  tool_ok?: boolean;
}

/**
 * The newest messages of a chat, `WINDOW_SIZE` seqs per document, read by `_id`
 * (`{app}:{chat}:{window}`) so a turn's transcript read costs the same at turn 1 and turn 1,000.
 * A copy: `chat_messages` stays the record (see `ChatRepository`).
 */
export interface ChatWindowDoc {
  _id: string;
  app_id: string;
  chat_id: string;
  window: number;
  /** Messages by `m{seq}` (field names, not array slots: set and unset by seq, so a retry is
   * idempotent). Stored without `app_id`. */
  messages: Record<string, Omit<ChatMessageDoc, 'app_id'>>;
  /** The lowest seq from which on the window holds every message of its range (messages below it,
   * written before windows existed, are copied in on the first read that finds them missing). */
  min_seq: number;
  updated_at: Date;
}

export interface UsageEventDoc {
  event_id: string;
  app_id: string;
  chat_id: string;
  user_id: string;
  turn_id: string;
  step: number;
  template: string;
  provider: string;
  model: string;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  /** Integer nano-dollars; 0 when `priced` is false (an unpriced call is never "free"). */
  cost_nanos: number;
  priced: boolean;
  price_table_version: string;
  latency_ms: number;
  ttft_ms: number;
  status: 'ok' | 'error';
  error_type?: string;
  /** The OpenTelemetry trace the call ran in (when tracing is on): from a charge to its trace. */
  trace_id?: string;
  ts: Date;
}

export type AuditEventDoc = ChainedAuditEvent & { app_id: string };
