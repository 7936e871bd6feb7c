/**
 * Finding a chat on behalf of a caller: an app key reaches its own app's chats, a runtime token only
 * the chat it was issued for. Anything else is "not found" (audited when the caller reached for
 * something its credential does not cover).
 */
import type { FastifyRequest } from 'fastify';
import { nanosToUsd } from '../domain/pricing';
import type { UsageTotals } from '../domain/chat';
import { ChatRepository } from '../stores/chat-repository';
import type { ChatSessionDoc } from '../stores/documents';
import { tenantCollections } from '../stores/tenant-collection';
import type { Caller } from './auth/caller';
import { callerOf, refuse } from './auth/guard';
import { HttpError } from './errors';
import type { ApiRuntime } from './runtime';

export interface ChatAccess {
  caller: Exclude<Caller, { kind: 'admin' }>;
  appId: string;
  chatId: string;
  repo: ChatRepository;
  session: ChatSessionDoc;
}

export function chatRepository(runtime: ApiRuntime, appId: string): ChatRepository {
  return new ChatRepository(tenantCollections(runtime.mongo, appId));
}

export async function accessChat(runtime: ApiRuntime, request: FastifyRequest, chatId: string): Promise<ChatAccess> {
  const caller = callerOf(request);
  if (caller.kind === 'admin') throw new HttpError(403, 'forbidden', 'chats are reached with an app key or a runtime token');
  if (caller.kind === 'runtime' && caller.chatId !== chatId) {
    await refuse(runtime, request, { type: 'chat', id: chatId }, 'runtime token is scoped to another chat');
  }
  const repo = chatRepository(runtime, caller.appId);
  const session = await repo.getSession(chatId);
  if (!session) throw new HttpError(404, 'not_found', `chat '${chatId}' not found`);
  return { caller, appId: caller.appId, chatId, repo, session };
}

export function usageView(totals: UsageTotals) {
  return {
    input_tokens: totals.input_tokens,
    output_tokens: totals.output_tokens,
    cached_input_tokens: totals.cached_input_tokens,
    cost_usd: nanosToUsd(totals.cost_nanos),
    unpriced_calls: totals.unpriced_calls,
  };
}

export function chatView(session: ChatSessionDoc) {
  return {
    chat_id: session.chat_id,
    user_id: session.user_id,
    template: session.template,
    status: session.status,
    ...(session.closed_reason ? { closed_reason: session.closed_reason } : {}),
    turn_count: session.turn_count,
    failed_turns: session.failed_turns ?? 0,
    totals: usageView(session.totals),
    created_at: session.created_at.toISOString(),
    updated_at: session.updated_at.toISOString(),
  };
}
