/** Failure types that mean the same thing wherever they surface (activity, turn, pack step, HTTP). */

/** An LLM call whose largest cost does not fit the remaining budget (the app's month, a pack run's). */
export const BUDGET_EXHAUSTED = 'budget_exhausted';

/** Whether a failure or one of its causes has `type` (Temporal keeps the cause chain of an
 * application failure across activities and child workflows). */
export function causedBy(error: unknown, type: string): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as { type?: unknown }).type === type) return true;
  }
  return false;
}
