/**
 * The tools a template may offer the model: the function definitions sent to the LLM, and the zod
 * schemas that check the arguments the model sends back. Both describe the same shapes; a test
 * keeps them in step.
 */
import { z } from 'zod';
import { TOOL_NAMES, type ToolName } from '../templates';
import { MAX_EXPRESSION_LENGTH } from './calculator';

export const MAX_URL_LENGTH = 2048;
/** Longer argument text is refused before JSON.parse sees it. */
export const MAX_TOOL_ARGUMENTS_CHARS = 16_384;

export type JsonSchemaString = { type: 'string'; description: string; maxLength?: number };

export type ToolParametersSchema = {
  type: 'object';
  properties: Record<string, JsonSchemaString>;
  required: string[];
  additionalProperties: false;
};

export type ToolDefinition = {
  type: 'function';
  function: { name: ToolName; description: string; parameters: ToolParametersSchema };
};

export const TOOL_DEFINITIONS: Readonly<Record<ToolName, ToolDefinition>> = {
  current_time: {
    type: 'function',
    function: {
      name: 'current_time',
      description: 'Returns the current date and time. Use it whenever the answer depends on today\'s date or the time of day.',
      parameters: {
        type: 'object',
        properties: {
          timezone: {
            type: 'string',
            description: 'IANA time zone name such as "Europe/Paris" or "America/New_York". Defaults to UTC.',
            maxLength: 64,
          },
        },
        required: [],
        additionalProperties: false,
      },
    },
  },
  calculator: {
    type: 'function',
    function: {
      name: 'calculator',
      description:
        'Evaluates an arithmetic expression exactly. Supports + - * / % ^ (power), parentheses, the constants pi and e, ' +
        'and the functions sqrt, abs, round, floor, ceil, min, max, log (base 10), ln, exp, sin, cos, tan (radians).',
      parameters: {
        type: 'object',
        properties: {
          expression: {
            type: 'string',
            description: 'The expression to evaluate, for example "(1.5e3 + 250) * 12 / 7" or "sqrt(2) ^ 3".',
            maxLength: MAX_EXPRESSION_LENGTH,
          },
        },
        required: ['expression'],
        additionalProperties: false,
      },
    },
  },
  http_get: {
    type: 'function',
    function: {
      name: 'http_get',
      description:
        'Fetches a web page or API response with an HTTP GET and returns its (possibly truncated) text. ' +
        'Only http and https URLs on hosts allowed by the operator can be fetched.',
      parameters: {
        type: 'object',
        properties: {
          url: { type: 'string', description: 'Absolute http(s) URL to fetch.', maxLength: MAX_URL_LENGTH },
        },
        required: ['url'],
        additionalProperties: false,
      },
    },
  },
};

/** True for a name Intl accepts as a time zone (IANA names, `UTC`). */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const toolArgumentSchemas = {
  current_time: z.strictObject({
    timezone: z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone name such as "Europe/Paris"').optional(),
  }),
  calculator: z.strictObject({
    expression: z.string().trim().min(1).max(MAX_EXPRESSION_LENGTH),
  }),
  http_get: z.strictObject({
    url: z.string().max(MAX_URL_LENGTH).pipe(z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })),
  }),
} satisfies Record<ToolName, z.ZodType>;

export type ToolArguments = { [N in ToolName]: z.output<(typeof toolArgumentSchemas)[N]> };

/** Parsed arguments tagged by tool, so narrowing on `name` narrows `args`. */
export type ParsedToolCall<N extends ToolName = ToolName> = N extends ToolName ? { ok: true; name: N; args: ToolArguments[N] } : never;
export type ToolArgumentsResult<N extends ToolName = ToolName> = ParsedToolCall<N> | { ok: false; error: string };

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

/**
 * Checks the JSON argument text a model sent for a tool call. Never throws: a bad call becomes an
 * error result the runtime can hand back to the model as the tool's output.
 */
export function parseToolArguments<N extends ToolName>(name: N, json: string): ToolArgumentsResult<N>;
export function parseToolArguments(name: string, json: string): ToolArgumentsResult;
export function parseToolArguments(name: string, json: string): ToolArgumentsResult {
  if (!isToolName(name)) return { ok: false, error: `unknown tool '${name}'; available tools: ${TOOL_NAMES.join(', ')}` };
  if (typeof json !== 'string') return { ok: false, error: `arguments for ${name} must be JSON text` };
  if (json.length > MAX_TOOL_ARGUMENTS_CHARS) {
    return { ok: false, error: `arguments for ${name} are longer than ${MAX_TOOL_ARGUMENTS_CHARS} characters` };
  }
  let value: unknown;
  try {
    // Models often send an empty string for a call without arguments.
    value = json.trim() === '' ? {} : JSON.parse(json);
  } catch (error) {
    return { ok: false, error: `arguments for ${name} are not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const result = toolArgumentSchemas[name].safeParse(value);
  if (!result.success) return { ok: false, error: `invalid arguments for ${name}: ${describeIssues(result.error.issues)}` };
  // The schema for `name` produced `result.data`, so the pairing holds even though TS cannot see it.
  return { ok: true, name, args: result.data } as ParsedToolCall;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${key}: unknown argument`)
        : [`${issue.path.length > 0 ? issue.path.map(String).join('.') : '(arguments)'}: ${issue.message}`],
    )
    .join('; ');
}
