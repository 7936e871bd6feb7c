/**
 * A stream opened with a runtime token ends when the token does: the browser fetches a new token
 * (`POST /v1/sessions`) and resumes after its last event id, so a leaked token cannot follow a chat
 * for longer than it was issued for.
 */
import type { Caller } from '../auth/caller';
import { errorFrame, type StreamFrame } from './frames';

export const TOKEN_EXPIRED_MESSAGE = 'the runtime token expired: get a new one and resume after the last event id';

/** Calls `end` when the caller's credential expires; returns the cancel. App keys do not expire. */
export function endWhenCredentialExpires(caller: Caller, now: Date, end: (frame: StreamFrame) => void): () => void {
  if (caller.kind !== 'runtime') return () => undefined;
  // setTimeout holds at most ~24.8 days; runtime tokens live minutes.
  const timer = setTimeout(() => end(errorFrame(TOKEN_EXPIRED_MESSAGE)), Math.max(0, caller.expiresAt.getTime() - now.getTime()));
  return () => clearTimeout(timer);
}
