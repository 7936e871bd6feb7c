/**
 * OpenAI's error body, `{"error": {message, type, param, code}}`: the `openai` client reads it to
 * build its typed errors (BadRequestError, RateLimitError, ...), so every failure uses it.
 */
import type { z } from 'zod';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The `type` and default `code` OpenAI uses for a status. */
function kindOf(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

export function openAiError(status: number, message: string, detail: { param?: string | null; code?: string | null } = {}): OpenAiErrorBody {
  const kind = kindOf(status);
  return { error: { message, type: kind.type, param: detail.param ?? null, code: detail.code ?? kind.code } };
}

/** `['messages', 0, 'role']` → `messages[0].role`, the way OpenAI names parameters. */
export function paramName(path: readonly PropertyKey[]): string | null {
  let name = '';
  for (const key of path) {
    if (typeof key === 'number') name += `[${key}]`;
    else name += name ? `.${String(key)}` : String(key);
  }
  return name || null;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A 400 body for the first problem zod found, worded like OpenAI's own validation errors. */
export function invalidRequestError(error: z.ZodError, body: unknown): OpenAiErrorBody {
  const issue = error.issues[0];
  if (!issue) return openAiError(400, 'Invalid request body.');
  const param = paramName(issue.path);
  if (param === null) return openAiError(400, `Invalid request body: ${issue.message}.`, { code: 'invalid_value' });
  if (valueAt(body, issue.path) === undefined && issue.code === 'invalid_type') {
    return openAiError(400, `Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' });
  }
  const code = issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value';
  return openAiError(400, `Invalid value for '${param}': ${issue.message}.`, { param, code });
}
