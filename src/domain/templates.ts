/**
 * Chat templates: what `templates/<name>/template.json` may say (system prompt, model, tools and
 * per-turn limits). Pure validation; reading the files is `src/stores/templates.ts`'s job.
 */
import { z } from 'zod';

export const TOOL_NAMES = ['current_time', 'calculator', 'http_get'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** What a `sendMessage` does while a turn is running (see DESIGN.md §3). */
export const ON_BUSY_MODES = ['enqueue', 'reject', 'interrupt', 'rollback'] as const;
export type OnBusyMode = (typeof ON_BUSY_MODES)[number];

/** Lowercase slug: it doubles as a directory name, so it must never carry `/`, `.` or `..`. */
export const TEMPLATE_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const TEMPLATE_NAME_MAX_LENGTH = 64;

export function isTemplateName(name: string): boolean {
  return name.length <= TEMPLATE_NAME_MAX_LENGTH && TEMPLATE_NAME_PATTERN.test(name);
}

const templateNameSchema = z
  .string()
  .max(TEMPLATE_NAME_MAX_LENGTH)
  .regex(TEMPLATE_NAME_PATTERN, 'must be a lowercase slug (a-z, 0-9, single dashes between words)');

const toolListSchema = z
  .array(z.enum(TOOL_NAMES))
  .refine((tools) => new Set(tools).size === tools.length, 'must not list a tool twice')
  .default([]);

// z.strictObject is zod 4's spelling of `.strict()`: an unknown field is a typo, never ignored.
export const chatTemplateSchema = z.strictObject({
  name: templateNameSchema,
  description: z.string().max(1000).optional(),
  system_prompt: z.string().trim().min(1),
  model: z.string().trim().min(1).max(200),
  temperature: z.number().min(0).max(2).default(0.7),
  max_output_tokens: z.number().int().min(1).max(32_768),
  tools: toolListSchema,
  /** Maximum LLM→tool round trips in one turn. */
  max_tool_steps: z.number().int().min(0).max(20).default(4),
  inactivity_timeout_seconds: z.number().int().min(60).max(604_800).default(1800),
  /** Input plus output tokens one turn may spend across all its LLM calls. */
  turn_token_budget: z.number().int().min(1).max(10_000_000).default(50_000),
  max_input_chars: z.number().int().min(1).max(100_000).default(8000),
  on_busy: z.enum(ON_BUSY_MODES).default('enqueue'),
});

/** A validated template, defaults filled in. */
export type ChatTemplate = z.output<typeof chatTemplateSchema>;
/** A template as written in `template.json` (defaulted fields optional). */
export type ChatTemplateInput = z.input<typeof chatTemplateSchema>;

export interface TemplateIssue {
  /** Dotted field path, e.g. `tools[1]`; `(root)` for the document itself. */
  readonly path: string;
  readonly message: string;
}

export type ParsedTemplate = { ok: true; template: ChatTemplate } | { ok: false; issues: TemplateIssue[] };

/**
 * Validates a parsed `template.json`. With `directoryName`, the template's `name` must equal it:
 * the directory is how templates are looked up, so a mismatch would load the wrong file silently.
 */
export function parseChatTemplate(json: unknown, directoryName?: string): ParsedTemplate {
  const result = chatTemplateSchema.safeParse(json);
  if (!result.success) return { ok: false, issues: result.error.issues.flatMap(toTemplateIssues) };
  if (directoryName !== undefined && result.data.name !== directoryName) {
    return {
      ok: false,
      issues: [{ path: 'name', message: `must equal the directory name '${directoryName}' (got '${result.data.name}')` }],
    };
  }
  return { ok: true, template: result.data };
}

export function formatTemplateIssues(issues: readonly TemplateIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

function toTemplateIssues(issue: z.core.$ZodIssue): TemplateIssue[] {
  // zod reports unknown keys on the parent object; name each key as the field at fault instead.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : `${text === '' ? '' : '.'}${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}
