/**
 * One chat over HTTP: send a message (wait for the reply, or 202 at once), read the chat and its
 * transcript, cancel the running turn, close the chat. A client-chosen `message_id` makes a
 * retried POST return the same turn: Temporal dedups the Update by its id while the run holds it,
 * and a turn already finished is answered from MongoDB.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import {
  acceptedTurnView,
  cancelBody,
  chatDetailView,
  chatParams,
  chatReadQuery,
  messageBody,
  messageQuery,
  okView,
  transcriptQuery,
  transcriptView,
  turnView,
} from '../../domain/api/chats';
import { errorResponses } from '../../domain/api/errors';
import { addUsage, ZERO_USAGE, type TurnReply } from '../../domain/chat';
import { ChatTurnError } from '../../client/chat-client';
import { tenantCollections } from '../../stores/tenant-collection';
import { UsageRepository } from '../../stores/usage-repository';
import { guard } from '../auth/guard';
import { accessChat, chatView, usageView, type ChatAccess } from '../chat-access';
import { readChat } from '../chat-read-access';
import { HttpError } from '../errors';
import type { ApiRuntime } from '../runtime';
import { admissionRefusal } from '../ops-refusals';
import { turnHttpError } from '../turn-errors';
import { workflowIds } from '../../workflows/contract';

const tags = ['chats'];
type TurnResponse = z.infer<typeof turnView>;

export function chatRoutes(scope: FastifyInstance, runtime: ApiRuntime): void {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const chatCallers = guard(runtime, ['app', 'runtime']);
  // Reads also admit the admin, who names the chat's app (src/api/chat-read-access.ts).
  const chatReaders = guard(runtime, ['app', 'runtime', 'admin']);

  app.post('/v1/chats/:chat_id/messages', {
    onRequest: chatCallers,
    schema: {
      tags,
      summary: 'Send a user message; answers with the reply (or 202 with `?wait=false`)',
      params: chatParams,
      querystring: messageQuery,
      body: messageBody,
      response: { 200: turnView, 202: acceptedTurnView, ...errorResponses(400, 401, 402, 403, 404, 409, 413, 422, 429, 502, 503) },
    },
  }, async (request, reply) => {
    const chat = await accessChat(runtime, request, request.params.chat_id);
    const { content, message_id: messageId, on_busy: onBusy } = request.body;
    if (messageId) {
      const finished = await storedTurn(runtime, chat, messageId);
      if (finished) return finished;
    }
    const { app } = chat.caller;
    if (app.paused) {
      throw new HttpError(503, 'app_paused', `app '${chat.appId}' is paused; new turns are refused`, undefined, { 'retry-after': '30' });
    }
    const turnId = messageId ?? `t_${randomUUID()}`;
    const admission = await runtime.admission.admit(chat.appId, turnId, app.limits);
    if (!admission.admitted && (admission.reason === 'paused' || admission.reason === 'budget')) {
      throw admissionRefusal(chat.appId, admission.reason, admission.retryAfterSeconds);
    }
    if (!admission.admitted) {
      throw new HttpError(
        429,
        admission.reason === 'rate' ? 'rate_limited' : 'too_many_concurrent_turns',
        admission.reason === 'rate'
          ? `app '${chat.appId}' reached its ${app.limits.turns_per_minute} turns per minute`
          : `app '${chat.appId}' has ${app.limits.max_concurrent_turns} turns running`,
        undefined,
        { 'retry-after': String(admission.retryAfterSeconds) },
      );
    }
    let submitted;
    try {
      submitted = await runtime.chats.submit({
        appId: chat.appId,
        chatId: chat.chatId,
        userId: chat.session.user_id,
        template: runtime.template(chat.session.template),
        content,
        turnId,
        ...(messageId ? { messageId } : {}),
        ...(onBusy ? { onBusy } : {}),
        ...(admission.throttleFactor !== undefined ? { fairnessWeight: admission.throttleFactor } : {}),
        actor: chat.caller.actor,
        // Nobody waits for this reply: the app's webhook (if any) hears when the turn ends.
        ...(request.query.wait === 'false' ? { notify: true } : {}),
      });
    } catch (error) {
      // Refused before it ran: the session will never release the slot, so give it back here.
      await runtime.admission.release(chat.appId, turnId);
      if (error instanceof ChatTurnError && error.code === 'duplicate_turn' && messageId) {
        const finished = await storedTurn(runtime, chat, messageId);
        if (finished) return finished;
      }
      throw turnHttpError(error);
    }
    if (request.query.wait === 'false') return reply.status(202).send({ turn_id: turnId, status: 'accepted' });
    try {
      return turnResponse(await submitted.reply);
    } catch (error) {
      throw turnHttpError(error);
    }
  });

  app.get('/v1/chats/:chat_id', {
    onRequest: chatReaders,
    schema: {
      tags,
      summary: "A chat's status, turn count and totals",
      description: 'The admin reads any app\'s chat (read-only, audited in that app\'s log) by naming it in `app_id`.',
      params: chatParams,
      querystring: chatReadQuery,
      response: { 200: chatDetailView, ...errorResponses(400, 401, 404) },
    },
  }, async (request) => {
    const chat = await readChat(runtime, request, request.params.chat_id, request.query.app_id);
    return { ...chatView(chat.session), workflow_id: workflowIds.chat(chat.appId, chat.chatId) };
  });

  app.get('/v1/chats/:chat_id/messages', {
    onRequest: chatReaders,
    schema: {
      tags,
      summary: 'The transcript, oldest first, paged by seq',
      description: 'The admin reads any app\'s transcript (read-only, audited in that app\'s log) by naming it in `app_id`.',
      params: chatParams,
      querystring: transcriptQuery,
      response: { 200: transcriptView, ...errorResponses(400, 401, 404) },
    },
  }, async (request) => {
    const chat = await readChat(runtime, request, request.params.chat_id, request.query.app_id);
    const page = await chat.repo.messagesAfter(chat.chatId, request.query.after, request.query.limit);
    const last = page.at(-1);
    return {
      messages: page.map((message) => ({
        message_id: message.message_id,
        seq: message.seq,
        role: message.role,
        content: message.content,
        turn_id: message.turn_id,
        status: message.status,
        created_at: message.created_at.toISOString(),
        ...(message.name ? { name: message.name } : {}),
        ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
      })),
      next_after: page.length === request.query.limit && last ? last.seq : null,
    };
  });

  app.post('/v1/chats/:chat_id/cancel', {
    // The console's Cancel button (the app owner's session cookie, CSRF-checked).
    onRequest: guard(runtime, ['app', 'runtime'], { consoleWrites: true }),
    schema: { tags, summary: 'Cancel the running turn (it is kept, marked interrupted)', params: chatParams, body: cancelBody, response: { 202: okView, ...errorResponses(400, 401, 404, 409) } },
  }, async (request, reply) => {
    const chat = await accessChat(runtime, request, request.params.chat_id);
    await signalRunning(chat, () => runtime.chats.cancelTurn(chat, request.body?.turn_id));
    return reply.status(202).send({ ok: true });
  });

  app.post('/v1/chats/:chat_id/close', {
    onRequest: chatCallers,
    schema: { tags, summary: 'Close the chat; later messages are refused', params: chatParams, response: { 202: okView, ...errorResponses(400, 401, 404, 409) } },
  }, async (request, reply) => {
    const chat = await accessChat(runtime, request, request.params.chat_id);
    if (chat.session.status === 'closed' && chat.session.closed_reason !== 'inactivity') return reply.status(202).send({ ok: true });
    if (chat.session.status === 'closed') {
      // Idle (closed for inactivity, no workflow running): closing it for good is a write.
      await chat.repo.closeSession(chat.chatId, 'requested', runtime.now());
      return reply.status(202).send({ ok: true });
    }
    await signalRunning(chat, () => runtime.chats.close(chat));
    return reply.status(202).send({ ok: true });
  });
}

/** Signals the chat's workflow; a chat whose workflow is not running has nothing to signal. */
async function signalRunning(chat: ChatAccess, signal: () => Promise<void>): Promise<void> {
  try {
    await signal();
  } catch (error) {
    if (error instanceof Error && error.name === 'WorkflowNotFoundError') {
      throw new HttpError(409, 'not_running', `chat '${chat.chatId}' has no running session`);
    }
    throw turnHttpError(error);
  }
}

/** A turn that already finished, answered from what it stored (a retried POST after a cut connection). */
async function storedTurn(runtime: ApiRuntime, chat: ChatAccess, turnId: string): Promise<TurnResponse | undefined> {
  const final = await chat.repo.finalReply(chat.chatId, turnId);
  if (!final) return undefined;
  const calls = await new UsageRepository(tenantCollections(runtime.mongo, chat.appId)).forTurn(chat.chatId, turnId);
  const totals = calls.reduce(
    (sum, call) =>
      addUsage(sum, {
        input_tokens: call.input_tokens,
        cached_input_tokens: call.cached_input_tokens,
        output_tokens: call.output_tokens,
        cost_nanos: call.cost_nanos,
        unpriced_calls: call.priced ? 0 : 1,
      }),
    ZERO_USAGE,
  );
  return { turn_id: turnId, message: { role: 'assistant', content: final.content }, usage: usageView(totals) };
}

function turnResponse(reply: TurnReply): TurnResponse {
  return { turn_id: reply.turnId, message: reply.message, usage: usageView(reply.usage) };
}
