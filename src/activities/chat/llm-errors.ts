/**
 * How an LLM call's failure reaches Temporal: requests the provider refuses (bad input, bad key)
 * fail for good; overload, rate limits and broken connections are retried by the activity's policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIError } from 'openai';

export const LLM_FAILURE_TYPES = {
  badRequest: 'llm_bad_request',
  auth: 'llm_auth',
  unavailable: 'llm_unavailable',
} as const;

type LlmFailureType = (typeof LLM_FAILURE_TYPES)[keyof typeof LLM_FAILURE_TYPES];

export function toLlmFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const cause = error instanceof Error ? error : undefined;
  const detail = error instanceof Error ? error.message : String(error);
  const failure = (type: LlmFailureType, message: string, extra: { nonRetryable?: boolean; nextRetryDelay?: number } = {}) =>
    ApplicationFailure.create({ type, message, ...extra, ...(cause ? { cause } : {}) });

  if (error instanceof APIError && !(error instanceof APIConnectionError) && typeof error.status === 'number') {
    const status = error.status;
    if (status === 401 || status === 403) {
      return failure(LLM_FAILURE_TYPES.auth, `LLM refused the credentials (${status}): ${detail}`, { nonRetryable: true });
    }
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const retryAfter = retryAfterMs(error.headers);
      return failure(LLM_FAILURE_TYPES.unavailable, `LLM unavailable (${status}): ${detail}`, {
        ...(retryAfter !== undefined ? { nextRetryDelay: retryAfter } : {}),
      });
    }
    // 400, 404, 422 and the other 4xx: the same request would be refused again.
    return failure(LLM_FAILURE_TYPES.badRequest, `LLM rejected the request (${status}): ${detail}`, { nonRetryable: true });
  }
  // Connection errors, timeouts, a stream cut half-way: worth another attempt.
  return failure(LLM_FAILURE_TYPES.unavailable, `LLM call failed: ${detail}`);
}

/** A provider's `Retry-After` (seconds), bounded so one header cannot stall a turn for long. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, 60) * 1000;
}
