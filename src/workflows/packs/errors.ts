/** The innermost message of a failure chain (ChildWorkflowFailure → ApplicationFailure → ...). */
export function innermostMessage(error: unknown, fallback: string): string {
  let current: unknown = error;
  let message = fallback;
  while (current instanceof Error) {
    message = current.message || message;
    current = current.cause;
  }
  return message;
}
