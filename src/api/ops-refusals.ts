/** The HTTP answers for turns the ops autopilot refuses: paused (503) and budget spent (402). */
import { HttpError } from './errors';

export function admissionRefusal(appId: string, reason: 'paused' | 'budget', retryAfterSeconds: number): HttpError {
  const retry = { 'retry-after': String(retryAfterSeconds) };
  return reason === 'paused'
    ? new HttpError(503, 'app_paused', `app '${appId}' is paused by the ops autopilot; new turns are refused`, undefined, retry)
    : new HttpError(402, 'budget_exhausted', `app '${appId}' has spent its monthly LLM budget; new turns are refused`, undefined, retry);
}
