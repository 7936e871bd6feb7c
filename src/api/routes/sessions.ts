/**
 * The session broker: `POST /v1/sessions` gives a browser the three things it needs for a chat (where
 * to stream from, and a short-lived token scoped to this app, user and chat), and `GET /v1/chats`
 * lists an app's (or a user's) recent chats.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { chatListQuery, chatListView, sessionBody, sessionView } from '../../domain/api/chats';
import { errorResponses } from '../../domain/api/errors';
import { decodeListCursor, encodeListCursor } from '../../domain/api/list-cursor';
import { listChatSessions } from '../../stores/chat-list';
import { tenantCollections } from '../../stores/tenant-collection';
import { TemplateError } from '../../stores/templates';
import { callerOf, guard, refuse } from '../auth/guard';
import { chatRepository, chatView } from '../chat-access';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';

const tags = ['sessions'];

export function sessionRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.post('/v1/sessions', {
    onRequest: guard(runtime, ['app']),
    schema: {
      tags,
      summary: 'Start or resume a chat; returns its stream URLs and a runtime token for the browser',
      body: sessionBody,
      response: { 200: sessionView, ...errorResponses(400, 401, 403, 409, 503) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    if (caller.kind !== 'app') throw new HttpError(403, 'forbidden', 'sessions are started with an app key');
    const { user_id: userId } = request.body;
    const chatId = request.body.chat_id ?? `c_${randomBytes(12).toString('base64url')}`;
    const template = loadTemplate(runtime, request.body.template);
    const repo = chatRepository(runtime, caller.appId);
    const { session } = await repo.openSession({ chatId, userId, template: template.name, now: runtime.now() });
    if (session.user_id !== userId) {
      await refuse(runtime, request, { type: 'chat', id: chatId }, `chat belongs to another user`);
    }
    if (session.template !== template.name) {
      throw new HttpError(409, 'template_mismatch', `chat '${chatId}' uses template '${session.template}', not '${template.name}'`);
    }
    // A session closed on request stays closed; one closed for inactivity resumes with its workflow.
    const closedForGood = session.status === 'closed' && session.closed_reason !== 'inactivity';
    if (!closedForGood) {
      await runtime.chats.ensureSession({ appId: caller.appId, chatId, userId, template });
    }
    const { token, expiresAt } = await runtime.runtimeTokens.issue({ appId: caller.appId, userId, chatId });
    const base = runtime.publicUrl.replace(/\/$/, '');
    return {
      chat_id: chatId,
      sse_url: `${base}/v1/chats/${chatId}/events`,
      ws_url: `${base.replace(/^http/, 'ws')}/v1/chats/${chatId}/ws`,
      runtime_token: token,
      expires_at: expiresAt.toISOString(),
      status: closedForGood ? 'closed' : 'active',
    } as const;
  });
}

/** `GET /v1/chats`: a browser route (a runtime token lists its own user's chats), so it is served
 * in the CORS scope apart from the session broker. An app key lists one user's chats or, without
 * `user_id`, every chat of its app; the admin lists any app's, naming it (`app_id`). */
export function chatListRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/chats', {
    onRequest: guard(runtime, ['app', 'runtime', 'admin']),
    schema: {
      tags,
      summary: "An app's chats (or one user's), most recently updated first, in cursor pages",
      querystring: chatListQuery,
      // 404: a runtime token asking for another user's chats, an app key naming another app, the
      // admin naming an app that does not exist (refused as not found).
      response: { 200: chatListView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const q = request.query;
    let appId: string;
    if (caller.kind === 'admin') {
      if (q.app_id === undefined) throw new HttpError(400, 'invalid_request', 'app_id is required with the admin key');
      if (!(await runtime.apps.get(q.app_id))) throw new HttpError(404, 'not_found', `app '${q.app_id}' not found`);
      appId = q.app_id;
    } else {
      if (q.app_id !== undefined && q.app_id !== caller.appId) await refuse(runtime, request, { type: 'app', id: q.app_id }, 'chats of another app');
      appId = caller.appId;
    }
    if (caller.kind === 'runtime' && q.user_id !== undefined && q.user_id !== caller.userId) {
      await refuse(runtime, request, { type: 'user', id: q.user_id }, 'runtime token is scoped to another user');
    }
    const userId = caller.kind === 'runtime' ? caller.userId : q.user_id;
    let after;
    if (q.cursor !== undefined) {
      after = decodeListCursor(q.cursor);
      if (!after) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API issued (pass a page `next_cursor` as it is)');
    }
    const sessions = await listChatSessions(tenantCollections(runtime.mongo, appId), {
      limit: q.limit,
      ...(userId !== undefined ? { userId } : {}),
      ...(q.before ? { before: new Date(q.before) } : {}),
      ...(after ? { after } : {}),
    });
    const last = sessions.at(-1);
    const full = sessions.length === q.limit && last !== undefined;
    return {
      chats: sessions.map(chatView),
      next_before: full ? last.updated_at.toISOString() : null,
      next_cursor: full ? encodeListCursor({ at: last.updated_at, id: last.chat_id }) : null,
    };
  });
}

function loadTemplate(runtime: ApiRuntime, name: string) {
  try {
    return runtime.template(name);
  } catch (error) {
    if (error instanceof TemplateError) throw new HttpError(400, 'unknown_template', error.message);
    throw error;
  }
}
