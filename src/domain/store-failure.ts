/**
 * A store error that will fail again (invalid text, a document too large, a key the store cannot
 * hold) surfaces as a non-retryable activity failure of this type (see
 * `src/activities/store-failures.ts`); a turn it ends fails with `STORE_INVALID_DATA_CODE`.
 * Workflow-safe: no store client is imported here.
 */
export const STORE_INVALID_DATA = 'StoreInvalidData';

/** The code a turn (its `turn.failed` event, its HTTP answer) ends with after such a failure. */
export const STORE_INVALID_DATA_CODE = 'store_invalid_data';

/** What an LLM call spent when its step failed after the model answered (the store refused the
 * answer): carried as the failure's first detail, so the turn still counts the call. */
export interface FailedCallUsage {
  model: string;
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  latencyMs: number;
  ttftMs: number;
}

/** The `FailedCallUsage` a failure (or one of its causes) carries, if any. */
export function failedCallUsage(error: unknown): FailedCallUsage | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const details = (current as { details?: unknown }).details;
    const first: unknown = Array.isArray(details) ? details[0] : undefined;
    if (isFailedCallUsage(first)) return first;
  }
  return undefined;
}

function isFailedCallUsage(value: unknown): value is FailedCallUsage {
  if (!value || typeof value !== 'object') return false;
  const { model, usage } = value as Partial<FailedCallUsage>;
  return typeof model === 'string' && !!usage && typeof usage === 'object' && typeof usage.input_tokens === 'number' && typeof usage.output_tokens === 'number';
}
