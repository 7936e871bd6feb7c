/** How a turn the session refused or could not finish answers over HTTP. */
import { ChatTurnError } from '../client/chat-client';
import { HttpError } from './errors';

const STATUS_BY_CODE: Record<string, number> = {
  empty_message: 400,
  invalid_turn_id: 400,
  message_too_long: 413,
  session_closed: 409,
  template_mismatch: 409,
  busy: 409,
  duplicate_turn: 409,
  turn_interrupted: 409,
  turn_rolled_back: 409,
  turn_cancelled: 409,
  // The model (or a tool) failed for good after its retries: an upstream failure, not the caller's.
  turn_failed: 502,
  message_conflict: 409,
  // An LLM call the app's budget could not cover mid-turn: as admission refuses a spent budget.
  budget_exhausted: 402,
  // The store refused what the turn had to keep (invalid text, a document too large): retrying the
  // same message fails the same way, so it is the request's content, not the service.
  store_invalid_data: 422,
};

/** A `ChatTurnError` as an `HttpError`; Temporal being unreachable as 503; anything else as is. */
export function turnHttpError(error: unknown): unknown {
  if (error instanceof ChatTurnError) {
    return new HttpError(STATUS_BY_CODE[error.code] ?? 409, error.code, error.message);
  }
  if (isUnavailable(error)) {
    return new HttpError(503, 'temporal_unavailable', 'the workflow service is unavailable; retry shortly', undefined, { 'retry-after': '5' });
  }
  return error;
}

function isUnavailable(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4) from the Temporal client.
    if ('code' in current && (current.code === 14 || current.code === 4)) return true;
    if (current.name === 'ServiceError' && /UNAVAILABLE|DEADLINE/i.test(current.message)) return true;
  }
  return false;
}
