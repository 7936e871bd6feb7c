/** Waiting for a transport to take more data, without waiting forever on a client that went or stalled. */

export type ReadyOutcome = 'ready' | 'closed' | 'stalled';

/**
 * Resolves 'ready' when `subscribe` calls back, 'closed' when the client goes first, 'stalled'
 * after `stallTimeoutMs` (the caller then cuts the connection: the client can resume from its
 * last id, and a connection nobody reads stops holding a socket buffer and a Redis connection).
 */
export function untilReady(subscribe: (ready: () => void) => () => void, closed: AbortSignal, stallTimeoutMs: number): Promise<ReadyOutcome> {
  if (closed.aborted) return Promise.resolve('closed');
  return new Promise((resolve) => {
    let settled = false;
    let unsubscribe: () => void = () => {};
    const finish = (outcome: ReadyOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      closed.removeEventListener('abort', onClose);
      unsubscribe();
      resolve(outcome);
    };
    const onClose = () => finish('closed');
    const timer = setTimeout(() => finish('stalled'), stallTimeoutMs);
    closed.addEventListener('abort', onClose, { once: true });
    unsubscribe = subscribe(() => finish('ready'));
    if (settled) unsubscribe();
  });
}
