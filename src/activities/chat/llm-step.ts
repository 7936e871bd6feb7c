/**
 * One LLM call of a turn: read the transcript, stream the answer (each text delta goes to the
 * chat's event stream as it arrives), store the assistant message. Idempotent on its message id:
 * once a step's message is stored, a retry returns it without calling the model again.
 */
import { Context } from '@temporalio/activity';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import type { LlmStepArgs, LlmStepResult } from '../../domain/chat';
import { isToolName, TOOL_DEFINITIONS } from '../../domain/tools/definitions';
import type { ChatMessageDoc } from '../../stores/documents';
import type { FailedCallUsage } from '../../domain/store-failure';
import { toStoreFailure } from '../store-failures';
import { BudgetGuard } from './budget-guard';
import { LlmCallSpan } from './llm-span';
import type { ChatActivityContext } from './context';
import { toLlmFailure } from './llm-errors';
import { QUIET_HEARTBEAT_MS, quietHeartbeat } from './quiet-heartbeat';
import { buildLlmMessages } from './llm-messages';
import { readCompletionStream, type StreamedCompletion } from './llm-stream';
import type { BegunTurn } from './turn';

/** How much history the model sees: the newest messages of the chat, by seq. */
export const TRANSCRIPT_WINDOW = 60;

export function llmStepActivity(ctx: ChatActivityContext) {
  const budget = new BudgetGuard(ctx.deps.redis, ctx.deps.priceBook);
  return {
    /** `beginning`: the start of the turn this step begins (its writes under way), whose user
     * message's window copy is left to be written with the answer's. */
    async llmStep(args: LlmStepArgs, beginning?: Promise<BegunTurn>): Promise<LlmStepResult> {
      const activity = Context.current();
      const { attempt } = activity.info;
      const { chats } = ctx.repos(args.appId);

      // Only an earlier attempt of this very activity can have stored the step's message. The
      // turn's beginning is written meanwhile: the model is called once it is (its message stored,
      // `turn.started` ahead of every delta).
      const [stored, windowed, begunTurn] = await Promise.all([
        attempt > 1 ? chats.findMessage(args.chatId, args.messageId) : Promise.resolve(null),
        chats.transcript(args.chatId, { last: TRANSCRIPT_WINDOW, beforeSeq: args.seq, excludeStatuses: ['rolled_back'] }),
        beginning,
      ]);
      const begun = begunTurn?.message;
      const transcript = withBegun(windowed, begun);
      if (stored?.status === 'complete') {
        await announceCompletion(ctx, args, stored.content, stored.tool_calls ?? []);
        return resultFromStored(stored, attempt);
      }
      if (attempt > 1) {
        // Clients drop this turn's partial deltas: the retry streams the answer from the start.
        await ctx.events.publish(args, { type: 'turn.restarted', turn_id: args.turnId, data: { step: args.step, attempt } });
      }

      const tools = args.allowTools ? toolDefinitions(args.template.tools) : [];
      const heartbeat = quietHeartbeat(activity);
      heartbeat({ step: args.step });
      const startedAt = Date.now();
      // An attempt quiet for its whole heartbeat timeout (a model that stalled) has been given up
      // by the server, which runs the next attempt (`turn.restarted`); the worker only learns so on
      // a heartbeat's answer. Its chunks that arrive after that, often in one burst, must not reach
      // the chat's stream: it stops at the first one (the next attempt streams the answer whole).
      const heartbeatTimeoutMs = activity.info.heartbeatTimeoutMs;
      let lastBeatAt = startedAt;
      const onChunk = () => {
        const now = Date.now();
        if (heartbeatTimeoutMs && now - lastBeatAt >= heartbeatTimeoutMs) {
          throw new Error(`the model was silent for ${now - lastBeatAt} ms, past the ${heartbeatTimeoutMs} ms heartbeat timeout: this attempt was given up`);
        }
        heartbeat({ step: args.step });
        // What quietHeartbeat sends: nothing in its first seconds (the server counts from the start).
        if (now - startedAt >= QUIET_HEARTBEAT_MS) lastBeatAt = now;
      };
      let completion: StreamedCompletion | undefined;
      // Deltas are sent without waiting for each one (a burst shares a round trip), in order, and
      // are all confirmed before the message is stored.
      const deltas = ctx.events.burst(args);
      const messages = buildLlmMessages(args.template.system_prompt, transcript);
      // The call's largest cost is held against the app's budget (and a pack run's) first (ops autopilot, issue 10).
      const call = {
        appId: args.appId,
        ...(args.packRunId !== undefined ? { packRunId: args.packRunId } : {}),
        reservationId: `${args.appId}:${args.chatId}:${args.messageId}:${attempt}`,
        model: args.template.model,
        prompt: { messages, tools },
        maxOutputTokens: args.maxOutputTokens,
        at: ctx.now(),
      };
      await budget.reserve(call);
      const span = new LlmCallSpan(
        { model: args.template.model, maxOutputTokens: args.maxOutputTokens, appId: args.appId, chatId: args.chatId, turnId: args.turnId, step: args.step, attempt },
        ctx.deps.priceBook,
      );
      let failure: unknown;
      try {
        const stream = await ctx.deps.llm.chat.completions.create(
          {
            model: args.template.model,
            messages,
            temperature: args.template.temperature,
            max_completion_tokens: args.maxOutputTokens,
            stream: true,
            stream_options: { include_usage: true },
            ...(tools.length > 0 ? { tools, tool_choice: 'auto' as const } : {}),
          },
          { signal: activity.cancellationSignal },
        );
        completion = await readCompletionStream(
          stream,
          {
            onChunk,
            onDelta: (delta) => {
              deltas.push({ type: 'message.delta', turn_id: args.turnId, data: { step: args.step, delta } });
            },
          },
          startedAt,
        );
      } catch (error) {
        failure = error;
        // A cancelled turn (interrupt, rollback) ends here with Temporal's cancellation, not an LLM error.
        if (activity.cancellationSignal.aborted) throw activity.cancellationSignal.reason;
        throw toLlmFailure(error);
      } finally {
        span.end(completion, failure, ctx.now());
        await deltas.flushed().catch(() => undefined);
        await budget.settle(call, completion?.usage, completion?.model || args.template.model);
      }
      await deltas.flushed();
      // The SDK may end an aborted stream quietly instead of throwing.
      if (activity.cancellationSignal.aborted) throw activity.cancellationSignal.reason;
      if (!completion.finishReason) throw toLlmFailure(new Error('the stream ended before the model finished its answer'));
      const latencyMs = Date.now() - startedAt;
      // A model may ask for tools nobody offered it; those calls are not ours to run.
      const toolCalls = args.allowTools ? completion.toolCalls : [];
      const usage = completion.usage ?? { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 };
      const model = completion.model || args.template.model;

      // The model answered and was charged: a store that refuses the answer for good fails the
      // step with what the call spent (failure details), so the turn still accounts for it.
      const spent: FailedCallUsage = { model, usage, latencyMs, ttftMs: completion.ttftMs };
      const message = await ctx.storeMessage(
        args.appId,
        {
          chat_id: args.chatId,
          message_id: args.messageId,
          seq: args.seq,
          role: 'assistant',
          content: completion.content,
          turn_id: args.turnId,
          status: 'complete',
          created_at: ctx.now(),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          model,
          usage,
          finish_reason: completion.finishReason,
          step: args.step,
          latency_ms: latencyMs,
          ttft_ms: completion.ttftMs,
        },
        begun ? { alsoInWindow: [begun] } : {},
      ).catch((error: unknown) => {
        throw toStoreFailure(error, [spent]);
      });
      await announceCompletion(ctx, args, message.content, message.tool_calls ?? []);
      return { ...resultFromStored(message, attempt), replayed: false };
    },
  };
}

/** The transcript with the turn's user message, when its window copy is not written yet. */
function withBegun(transcript: ChatMessageDoc[], begun: ChatMessageDoc | undefined): ChatMessageDoc[] {
  if (!begun || transcript.some((message) => message.seq === begun.seq)) return transcript;
  return [...transcript, begun].sort((a, b) => a.seq - b.seq).slice(-TRANSCRIPT_WINDOW);
}

function toolDefinitions(names: readonly string[]): ChatCompletionTool[] {
  return names.filter(isToolName).map((name) => TOOL_DEFINITIONS[name]);
}

/** `message.completed` for a final answer (not for a step that only asks for tools), once. */
async function announceCompletion(
  ctx: ChatActivityContext,
  args: LlmStepArgs,
  content: string,
  toolCalls: readonly unknown[],
): Promise<void> {
  if (toolCalls.length > 0) return;
  await ctx.events.publishOnce(args, `message.completed:${args.messageId}`, {
    type: 'message.completed',
    turn_id: args.turnId,
    data: { step: args.step, message_id: args.messageId, content },
  });
}

function resultFromStored(message: ChatMessageDoc, attempt: number): LlmStepResult {
  return {
    messageId: message.message_id,
    content: message.content,
    toolCalls: message.tool_calls ?? [],
    finishReason: message.finish_reason ?? 'stop',
    model: message.model ?? '',
    usage: message.usage ?? { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 },
    latencyMs: message.latency_ms ?? 0,
    ttftMs: message.ttft_ms ?? 0,
    attempt,
    replayed: true,
  };
}
