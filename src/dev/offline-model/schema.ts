/**
 * The Chat Completions request body the offline model accepts, as a zod schema. It follows
 * OpenAI's rules where a real client could trip over them (tool messages need `tool_call_id`, a
 * forced `tool_choice` must name an offered tool, `stream_options` needs `stream`), and strips
 * fields it does not model (top_p, response_format, ...) instead of rejecting them.
 */
import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const messageText = z.union([z.string(), z.array(textPart)], { error: 'expected a string or an array of text parts' });

const toolCall = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const message = z.discriminatedUnion(
  'role',
  [
  z.object({ role: z.literal('system'), content: messageText, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: messageText, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: messageText, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    // null when the assistant only called tools
    content: messageText.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    refusal: z.string().nullish(),
  }),
  z.object({ role: z.literal('tool'), content: messageText, tool_call_id: z.string().min(1) }),
  ],
  { error: "expected 'role' to be one of system, developer, user, assistant, tool" },
);

const functionTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union(
  [z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })],
  { error: `expected "none", "auto", "required" or {"type": "function", "function": {"name": ...}}` },
);

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    tools: z.array(functionTool).optional(),
    tool_choice: toolChoice.optional(),
    temperature: z.number().min(0).max(2).nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    n: z.literal(1, { error: 'only n=1 is supported by the offline model' }).nullish(),
    user: z.string().optional(),
    seed: z.number().int().nullish(),
  })
  .superRefine((request, ctx) => {
    if (request.stream_options && !request.stream) {
      ctx.addIssue({
        code: 'custom',
        path: ['stream_options'],
        message: "'stream_options' is only allowed when 'stream' is enabled",
      });
    }
    const choice = request.tool_choice;
    if (choice !== undefined && choice !== 'none' && !request.tools?.length) {
      ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: "'tool_choice' is only allowed when 'tools' are specified" });
    }
    if (typeof choice === 'object' && request.tools && !request.tools.some((tool) => tool.function.name === choice.function.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tool_choice', 'function', 'name'],
        message: `no tool named '${choice.function.name}' is offered in 'tools'`,
      });
    }
  });

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = ChatCompletionRequest['messages'][number];
export type MessageText = z.infer<typeof messageText>;

/** The plain text of a message's content (text parts joined, null as empty). */
export function textOf(content: MessageText | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text).join('\n');
}

/** The tighter of `max_tokens` and `max_completion_tokens`, or undefined when neither is set. */
export function completionTokenLimit(request: ChatCompletionRequest): number | undefined {
  const limits = [request.max_tokens, request.max_completion_tokens].filter((limit): limit is number => typeof limit === 'number');
  return limits.length ? Math.min(...limits) : undefined;
}
