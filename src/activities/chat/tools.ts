/**
 * Runs one tool call the model made and stores its result as a tool message. A tool that is not
 * allowed, bad arguments or a failing tool become an error result the model reads (`error: ...`),
 * never an activity failure: the model can recover, a failed activity would only be retried.
 * Whatever a tool returns (a fetched page included) is made storable before it is stored or
 * published (`toStorableText`, docs/design-notes.md "Text that reaches a store").
 */
import { Context } from '@temporalio/activity';
import type { RunToolArgs, RunToolResult } from '../../domain/chat';
import { toStorableText } from '../../domain/text/storable';
import { parseToolArguments, type ParsedToolCall } from '../../domain/tools/definitions';
import type { ChatActivityContext } from './context';
import { calculate, currentTime, httpGet, ToolError } from './tool-runners';

const PREVIEW_CHARS = 200;
/** How much of a result goes into the `tool.result` event (the full text is in the transcript). */
const EVENT_CONTENT_CHARS = 2000;

export function toolActivities(ctx: ChatActivityContext) {
  return {
    async runTool(args: RunToolArgs): Promise<RunToolResult> {
      const { call } = args;
      const { chats } = ctx.repos(args.appId);
      await ctx.events.publishOnce(args, `tool.called:${args.messageId}`, {
        type: 'tool.called',
        turn_id: args.turnId,
        data: { step: args.step, index: args.index, tool_call_id: call.id, name: call.name, arguments: call.arguments },
      });

      // An earlier attempt may have run the tool already: its stored result stands.
      let message = await chats.findMessage(args.chatId, args.messageId);
      if (!message) {
        const outcome = await execute(ctx, args);
        message = await ctx.storeMessage(args.appId, {
          chat_id: args.chatId,
          message_id: args.messageId,
          seq: args.seq,
          role: 'tool',
          content: toStorableText(outcome.ok ? outcome.output : `error: ${outcome.error}`),
          turn_id: args.turnId,
          status: 'complete',
          created_at: ctx.now(),
          tool_call_id: call.id,
          name: call.name,
          tool_ok: outcome.ok,
          step: args.step,
        });
      }
      const ok = message.tool_ok ?? !message.content.startsWith('error:');
      await ctx.events.publishOnce(args, `tool.result:${args.messageId}`, {
        type: 'tool.result',
        turn_id: args.turnId,
        data: {
          step: args.step,
          index: args.index,
          tool_call_id: call.id,
          name: call.name,
          ok,
          content: message.content.slice(0, EVENT_CONTENT_CHARS),
        },
      });
      return { ok, preview: message.content.slice(0, PREVIEW_CHARS) };
    },
  };
}

type ToolOutcome = { ok: true; output: string } | { ok: false; error: string };

async function execute(ctx: ChatActivityContext, args: RunToolArgs): Promise<ToolOutcome> {
  const { call } = args;
  if (!args.allowedTools.includes(call.name)) {
    const available = args.allowedTools.length > 0 ? args.allowedTools.join(', ') : 'none';
    return { ok: false, error: `tool '${call.name}' is not available in this chat (available: ${available})` };
  }
  const parsed = parseToolArguments(call.name, call.arguments);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  try {
    return { ok: true, output: await run(ctx, parsed) };
  } catch (error) {
    // A cancelled tool is not a result: nothing is stored, the cancellation goes back to the workflow.
    const cancelled = Context.current().cancellationSignal;
    if (cancelled.aborted) throw cancelled.reason;
    if (error instanceof ToolError) return { ok: false, error: error.message };
    return { ok: false, error: `${call.name} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function run(ctx: ChatActivityContext, call: ParsedToolCall): Promise<string> | string {
  switch (call.name) {
    case 'current_time':
      return currentTime(call.args, ctx.now());
    case 'calculator':
      return calculate(call.args);
    case 'http_get':
      return httpGet(call.args, ctx.deps.httpAllowlist, Context.current().cancellationSignal);
  }
}
