/**
 * The two baselines of `bench:ttft`, each a small Fastify server in a process of its own (the shape
 * of the API process), speaking the API's routes and event frames so one client reads all three:
 * `POST /v1/chats/:chat_id/messages` answers 202 with a turn id at once and runs the turn, and
 * `GET /v1/chats/:chat_id/events` streams the chat's events over SSE.
 *
 * - `direct` (a): the POST calls the model's streaming endpoint with the openai client (the same
 *   call a turn makes, the chat's conversation kept in memory) and forwards each delta to the
 *   chat's SSE clients; no Temporal, no stores.
 * - `nondurable` (b): the POST does what a Tessera turn does on its stores, without Temporal: the
 *   API's admission, then the turn's work as `nondurable-turns.ts` runs it (the worker's own
 *   `llmStep` activity, called in this process). The SSE route is the API's own (`respondWithSse`,
 *   reading the chat's Redis Stream).
 *
 * Settings arrive as one JSON argument; it prints "listening on <url>" once it listens.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import OpenAI from 'openai';
import { createChatActivities } from '../../src/activities/chat';
import { TRANSCRIPT_WINDOW } from '../../src/activities/chat/llm-step';
import { SseChannel } from '../../src/api/streams/sse';
import { respondWithSse } from '../../src/api/streams/sse-response';
import { StreamRegistry } from '../../src/api/streams/registry';
import { DEFAULT_STREAM_SETTINGS } from '../../src/api/streams/settings';
import type { StreamFrame } from '../../src/api/streams/frames';
import { TIER_LIMITS } from '../../src/domain/apps/app';
import { buildPriceBook } from '../../src/domain/pricing';
import type { ChatTemplate } from '../../src/domain/templates';
import { Admission } from '../../src/stores/admission';
import { defaultStorageResolver, MongoStores } from '../../src/stores/mongo';
import { openRedis } from '../../src/stores/redis';
import { loadTemplate } from '../../src/stores/templates';
import { nondurableTurns } from './nondurable-turns';

export interface TtftBaselineSettings {
  mode: 'direct' | 'nondurable';
  llmBaseUrl: string;
  templatesDir: string;
  template: string;
  /** (b) only: the stores, as the API and worker processes are configured. */
  appId?: string;
  userId?: string;
  mongoUri?: string;
  mongoDb?: string;
  redisUrl?: string;
  redisPrefix?: string;
}

type Params = { Params: { chat_id: string } };
type Body = { Body: { content: string } };

interface Baseline {
  /** Starts the turn; resolves once it is accepted (the 202), the turn going on. */
  startTurn(chatId: string, turnId: string, content: string): Promise<void>;
  serveEvents(request: FastifyRequest<Params>, reply: FastifyReply): Promise<void>;
  close(): Promise<void>;
}

type Said = { role: 'user' | 'assistant'; content: string };

/** The model call a turn makes (llmStep's parameters, its window of the conversation). */
function modelCall(template: ChatTemplate, conversation: readonly Said[]) {
  return {
    model: template.model,
    messages: [{ role: 'system' as const, content: template.system_prompt }, ...conversation.slice(-TRANSCRIPT_WINDOW)],
    temperature: template.temperature,
    max_completion_tokens: Math.max(16, Math.min(template.max_output_tokens, template.turn_token_budget)),
    stream: true as const,
    stream_options: { include_usage: true },
  };
}

/** (a) The model streamed straight to the chat's SSE clients. */
function directBaseline(settings: TtftBaselineSettings, template: ChatTemplate): Baseline {
  const llm = new OpenAI({ apiKey: 'offline', baseURL: settings.llmBaseUrl, maxRetries: 0 });
  const clients = new Map<string, Set<SseChannel>>();
  const send = (chatId: string, frame: StreamFrame) => {
    for (const channel of clients.get(chatId) ?? []) void channel.write([frame]);
  };
  // Each chat's conversation in memory (the model then answers as it does Tessera's chats).
  const conversations = new Map<string, Said[]>();
  const run = async (chatId: string, turnId: string, content: string) => {
    try {
      const conversation = conversations.get(chatId) ?? [];
      conversations.set(chatId, conversation);
      conversation.push({ role: 'user', content });
      const stream = await llm.chat.completions.create(modelCall(template, conversation));
      let usage: OpenAI.CompletionUsage | undefined;
      let reply = '';
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const delta = chunk.choices[0]?.delta.content;
        if (!delta) continue;
        reply += delta;
        send(chatId, { id: null, type: 'message.delta', turn_id: turnId, data: { step: 0, delta } });
      }
      conversation.push({ role: 'assistant', content: reply });
      send(chatId, { id: null, type: 'turn.completed', turn_id: turnId, data: { usage: usage ?? null } });
    } catch (error) {
      send(chatId, { id: null, type: 'turn.failed', turn_id: turnId, data: { error: error instanceof Error ? error.message : String(error) } });
    }
  };
  return {
    async startTurn(chatId, turnId, content) {
      void run(chatId, turnId, content);
    },
    async serveEvents(request, reply) {
      reply.hijack();
      request.raw.socket.setTimeout(0);
      const channel = new SseChannel(reply.raw, {}, DEFAULT_STREAM_SETTINGS);
      const chat = clients.get(request.params.chat_id) ?? new Set();
      clients.set(request.params.chat_id, chat.add(channel));
      channel.closed.addEventListener('abort', () => chat.delete(channel), { once: true });
    },
    close: async () => {},
  };
}

/** (b) A Tessera turn's store writes, without Temporal. */
function nondurableBaseline(settings: TtftBaselineSettings, template: ChatTemplate): Baseline {
  const need = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`the nondurable baseline needs ${name}`);
    return value;
  };
  const appId = need(settings.appId, 'appId');
  const userId = need(settings.userId, 'userId');
  const mongo = new MongoStores(defaultStorageResolver({ uri: need(settings.mongoUri, 'mongoUri'), db: need(settings.mongoDb, 'mongoDb') }));
  const redis = openRedis(need(settings.redisUrl, 'redisUrl'), settings.redisPrefix !== undefined ? { keyPrefix: settings.redisPrefix } : {});
  const activities = createChatActivities({
    mongo,
    redis,
    llm: new OpenAI({ apiKey: 'offline', baseURL: settings.llmBaseUrl, maxRetries: 0 }),
    priceBook: buildPriceBook(),
    httpAllowlist: [],
  });
  const admission = new Admission(redis);
  const registry = new StreamRegistry(DEFAULT_STREAM_SETTINGS.maxStreams);
  const turns = nondurableTurns({ activities, appId, userId, template });
  return {
    async startTurn(chatId, turnId, content) {
      const admitted = await admission.admit(appId, turnId, TIER_LIMITS.enterprise);
      if (!admitted.admitted) throw new Error(`not admitted: ${admitted.reason}`);
      void turns.run(chatId, turnId, content).catch((error: unknown) => {
        process.stderr.write(`nondurable turn ${turnId} failed: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    },
    async serveEvents(request, reply) {
      const chatId = request.params.chat_id;
      await respondWithSse(request, reply, { redis, appId, streamId: chatId, after: '0-0', transcriptUrl: '' }, registry, DEFAULT_STREAM_SETTINGS);
    },
    async close() {
      registry.shutdownAll();
      await Promise.allSettled([mongo.close(), redis.quit()]);
    },
  };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as TtftBaselineSettings;
  const template = loadTemplate(settings.templatesDir, settings.template);
  const baseline = settings.mode === 'direct' ? directBaseline(settings, template) : nondurableBaseline(settings, template);
  const app = Fastify({ logger: { level: 'warn' } });
  app.post<Params & Body>('/v1/chats/:chat_id/messages', async (request, reply) => {
    const turnId = `t_${randomUUID()}`;
    await baseline.startTurn(request.params.chat_id, turnId, request.body.content);
    return reply.status(202).send({ turn_id: turnId, status: 'accepted' });
  });
  app.get<Params>('/v1/chats/:chat_id/events', (request, reply) => baseline.serveEvents(request, reply));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const stop = () => {
    void app.close().finally(() => void baseline.close().finally(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`listening on ${url}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
