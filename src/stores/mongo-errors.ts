/**
 * Recognizing store errors: MongoDB's duplicate-key error (11000), which idempotent inserts treat
 * as "already done", and the errors that will fail again however often they are retried (invalid
 * data, a document too large, a key the store cannot hold), which must not be retried.
 */
import { MongoServerError } from 'mongodb';

export function isDuplicateKeyError(error: unknown): boolean {
  if (error instanceof MongoServerError) return error.code === 11000;
  // insertMany wraps per-document write errors.
  if (error && typeof error === 'object' && 'code' in error) return error.code === 11000;
  return false;
}

/** MongoDB server codes that the same write gets every time: BadValue (2), InvalidBSON (22),
 * DollarPrefixedFieldName (52), EmptyFieldName (56), DottedFieldName (57), BSONObjectTooLarge
 * (10334), 'object to insert too large' (17419, 17420), 'document is larger than the maximum size'
 * (2 from mongos, 10334 from mongod, 17280 'key too large to index'). */
const DETERMINISTIC_CODES = new Set([2, 22, 52, 56, 57, 10334, 17280, 17419, 17420]);

/** What FerretDB (PostgreSQL underneath), the driver's own BSON checks and MongoDB say about such
 * writes. SQLSTATE 22P05 `unsupported Unicode escape sequence` (NUL in text), 22021
 * `invalid byte sequence`, 54000 `program_limit_exceeded` (a value too large for a row). */
const DETERMINISTIC_MESSAGES = [
  /\b22P05\b/,
  /\b22021\b/,
  /\b54000\b/,
  /unsupported Unicode escape sequence/i,
  /invalid byte sequence/i,
  /cannot be converted to text/i,
  /document is larger than the maximum size/i,
  /object to insert too large/i,
  /BSONObjectTooLarge/,
  /DollarPrefixedFieldName/,
  /field names? cannot (contain|start with)/i,
  /key .* must not (contain|start with)/i,
  /invalid (bson|utf-?8)/i,
  /BSONObj size/i,
];

/** Errors of the connection, a timeout, a failover: those are retried, whatever their message says. */
const TRANSIENT_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  'MongoNotConnectedError',
]);
const TRANSIENT_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool', 'PoolRequestedRetry'];

/** Whether a store error will fail again: retrying the same write cannot help. Looks through
 * `cause` chains and bulk-write errors; a connection, timeout or failover error never is. */
export function isDeterministicStoreError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let deterministic = false;
  const visit = (current: unknown): boolean => {
    if (!current || typeof current !== 'object' || seen.has(current)) return false;
    seen.add(current);
    const record = current as Record<string, unknown> & { hasErrorLabel?: (label: string) => boolean };
    const name = typeof record.name === 'string' ? record.name : '';
    if (TRANSIENT_NAMES.has(name)) return true;
    if (typeof record.hasErrorLabel === 'function' && TRANSIENT_LABELS.some((label) => record.hasErrorLabel?.(label))) return true;
    const code = typeof record.code === 'number' ? record.code : undefined;
    const message = typeof record.message === 'string' ? record.message : '';
    const codeName = typeof record.codeName === 'string' ? record.codeName : '';
    if (code !== undefined && DETERMINISTIC_CODES.has(code)) deterministic = true;
    if (name === 'BSONError' || name === 'BSONVersionError') deterministic = true;
    // A document past the driver's serialization buffer (16 MB and a margin): bson's serializer
    // writes out of range before anything is sent.
    if (record.code === 'ERR_OUT_OF_RANGE' && typeof record.stack === 'string' && /[\\/]bson[\\/]|\bserialize/.test(record.stack)) deterministic = true;
    if (DETERMINISTIC_MESSAGES.some((pattern) => pattern.test(message) || pattern.test(codeName))) deterministic = true;
    // A bulk write reports per-document errors (`writeErrors`, `errorResponse.writeErrors`).
    const nested = [record.cause, record.errorResponse, ...(Array.isArray(record.writeErrors) ? record.writeErrors : []), record.err, record.errInfo];
    return nested.some(visit);
  };
  const transient = visit(error);
  return deterministic && !transient;
}
