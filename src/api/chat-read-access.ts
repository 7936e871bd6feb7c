/**
 * Reading a chat (its status, transcript, live events) on behalf of any caller the read routes admit:
 * an app key or runtime token as `accessChat` finds it, and the admin, who reads any app's chat when
 * it names the app (`app_id`): read-only (the write routes do not admit the admin) and audited in that
 * app's chain, as every read of another party's conversation should be.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Caller } from './auth/caller';
import { callerOf, refuse } from './auth/guard';
import { accessChat, chatRepository, type ChatAccess } from './chat-access';
import { HttpError } from './errors';
import type { ApiRuntime } from './runtime';

export interface ChatRead extends Omit<ChatAccess, 'caller'> {
  caller: Caller;
  /** Who the chat's stream slots count against: the caller, or for the admin the chat's app. */
  streamCaller: ChatAccess['caller'];
}

export async function readChat(runtime: ApiRuntime, request: FastifyRequest, chatId: string, namedAppId: string | undefined): Promise<ChatRead> {
  const caller = callerOf(request);
  if (caller.kind !== 'admin') {
    if (namedAppId !== undefined && namedAppId !== caller.appId) {
      await refuse(runtime, request, { type: 'app', id: namedAppId }, 'chat of another app');
    }
    const chat = await accessChat(runtime, request, chatId);
    return { ...chat, streamCaller: chat.caller };
  }
  if (namedAppId === undefined) throw new HttpError(400, 'invalid_request', 'app_id is required with the admin key');
  const app = await runtime.apps.state(namedAppId);
  if (!app) throw new HttpError(404, 'not_found', `app '${namedAppId}' not found`);
  const repo = chatRepository(runtime, namedAppId);
  const session = await repo.getSession(chatId);
  if (!session) throw new HttpError(404, 'not_found', `chat '${chatId}' not found`);
  await runtime.audit.appendAuditEvent({
    event_id: `audit:read:chat:${randomUUID()}`,
    app_id: namedAppId,
    ts: runtime.now().toISOString(),
    actor: caller.actor,
    action: 'read',
    resource: { type: 'chat', id: chatId },
    outcome: 'success',
    details: { method: request.method, route: request.routeOptions.url ?? '', request_id: String(request.id) },
  });
  const streamCaller: ChatAccess['caller'] = { kind: 'app', appId: namedAppId, app, actor: caller.actor };
  return { caller, streamCaller, appId: namedAppId, chatId, repo, session };
}
