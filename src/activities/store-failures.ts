/**
 * Deterministic store errors fail fast (DESIGN §7): a write the store refuses for good (invalid
 * text, a document too large, a key it cannot hold) becomes a non-retryable `StoreInvalidData`
 * failure, so Temporal does not retry it for minutes and the turn ends with `turn.failed`;
 * connection, timeout and failover errors stay as they are, and are retried.
 */
import { ApplicationFailure } from '@temporalio/common';
import { STORE_INVALID_DATA } from '../domain/store-failure';
import { isDeterministicStoreError } from '../stores/mongo-errors';

/** The failure to throw for `error`: a non-retryable `StoreInvalidData` for a store error that
 * will fail again (`details` go with it), else `error` itself. */
export function toStoreFailure(error: unknown, details?: unknown[]): unknown {
  if (error instanceof ApplicationFailure || !isDeterministicStoreError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({
    type: STORE_INVALID_DATA,
    message: `the store refused the data for good: ${message}`,
    nonRetryable: true,
    ...(error instanceof Error ? { cause: error } : {}),
    ...(details ? { details } : {}),
  });
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** The activities with every store error that will fail again turned into `StoreInvalidData`.
 * Applied where a worker's activities are built, so no activity has to remember it. */
export function failFastOnStoreErrors<T extends Record<string, AnyActivity>>(activities: T): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw toStoreFailure(error);
      }
    };
  }
  return wrapped as T;
}
