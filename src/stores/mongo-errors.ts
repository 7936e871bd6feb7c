/** Recognizing MongoDB's duplicate-key error (11000), which idempotent inserts treat as "already done". */
import { MongoServerError } from 'mongodb';

export function isDuplicateKeyError(error: unknown): boolean {
  if (error instanceof MongoServerError) return error.code === 11000;
  // insertMany wraps per-document write errors.
  if (error && typeof error === 'object' && 'code' in error) return error.code === 11000;
  return false;
}
