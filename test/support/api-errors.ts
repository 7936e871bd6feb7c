/**
 * The API's documented error shape, `{"error": {"code", "message", "details"?}}`, checked strictly:
 * nothing beside `error` at the top, nothing beside code, message and details inside it.
 */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Why `body` (parsed JSON) is not the error shape, or undefined when it is. */
export function errorShapeProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not a JSON object';
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys are [${keys.join(', ')}], not [error]`;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return 'error is not an object';
  const inner = Object.keys(error);
  const extra = inner.filter((key) => key !== 'code' && key !== 'message' && key !== 'details');
  if (extra.length > 0) return `error has unexpected keys [${extra.join(', ')}]`;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || code.length === 0) return 'error.code is not a non-empty string';
  if (typeof message !== 'string' || message.length === 0) return 'error.message is not a non-empty string';
  return undefined;
}

/** Reads a response that must be an error in the documented shape; throws with the reason otherwise. */
export async function readErrorBody(response: Response): Promise<{ body: ErrorBody; text: string }> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) throw new Error(`error response ${response.status} has content-type '${type}': ${text.slice(0, 300)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`error response ${response.status} is not JSON: ${text.slice(0, 300)}`);
  }
  const problem = errorShapeProblem(body);
  if (problem) throw new Error(`error response ${response.status} is not in the error shape (${problem}): ${text.slice(0, 300)}`);
  return { body: body as ErrorBody, text };
}
