/** What the chat routes answer, as the Chats pages read it. */
export interface ChatSummary {
  chat_id: string;
  user_id: string;
  template: string;
  status: 'active' | 'closed';
  closed_reason?: string;
  turn_count: number;
  failed_turns: number;
  totals: { input_tokens: number; output_tokens: number; cost_usd: number; unpriced_calls: number };
  created_at: string;
  updated_at: string;
}

export interface ChatDetailView extends ChatSummary {
  workflow_id: string;
}

export interface StoredMessage {
  message_id: string;
  seq: number;
  role: 'user' | 'assistant' | 'tool';
  content: string;
  turn_id: string;
  status: string;
  created_at: string;
  name?: string;
}

/** The console's configuration (`GET /console/api/config`). */
export interface ConsoleConfig {
  temporal_ui: { url: string; namespace: string } | null;
}

/** A console path to one chat; the admin's carries the app. */
export function chatPath(chatId: string, adminAppId?: string): string {
  return `/console/chats/${encodeURIComponent(chatId)}${adminAppId ? `?app_id=${encodeURIComponent(adminAppId)}` : ''}`;
}

/** The Temporal Web UI page of a workflow. */
export function workflowUrl(ui: { url: string; namespace: string }, workflowId: string): string {
  return `${ui.url}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function formatUsd(value: number): string {
  return value.toFixed(value !== 0 && Math.abs(value) < 0.01 ? 6 : 4);
}
