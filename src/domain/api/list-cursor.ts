/**
 * Cursors of the newest-first lists (chats, pack runs, incidents, audit): the (instant, id) of the
 * last item a page returned, so the next page starts strictly after it. The id breaks ties between
 * items written in the same millisecond, which an instant alone would skip or repeat.
 */
import { z } from 'zod';

export interface ListPosition {
  at: Date;
  id: string;
}

const CURSOR_VERSION = 1;

export const listCursorSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a `next_cursor` this API returned')
  .describe('Opaque: the previous page `next_cursor`, with the same filters');

/**
 * A page cursor: an instant and a key that breaks ties, versioned so that a change of format
 * rejects old cursors cleanly. Opaque to callers (base64url JSON).
 */
export function encodeCursor(at: string, key: string | number): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, at, key]), 'utf8').toString('base64url');
}

/**
 * The instant and key a cursor carries, or undefined when it is not one this API issued. The
 * instant is checked here; the key is the caller's to check.
 */
export function decodeCursor(cursor: string): { at: string; key: unknown } | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [version, at, key] = parsed as unknown[];
  if (version !== CURSOR_VERSION || typeof at !== 'string' || !/^[0-9T:.+Z-]{1,40}$/.test(at) || !Number.isFinite(Date.parse(at))) return undefined;
  return { at, key };
}

export function encodeListCursor(position: ListPosition): string {
  return encodeCursor(position.at.toISOString(), position.id);
}

/** The position a cursor names, or undefined when it is not one this API issued. */
export function decodeListCursor(cursor: string): ListPosition | undefined {
  const decoded = decodeCursor(cursor);
  if (!decoded || typeof decoded.key !== 'string' || decoded.key.length === 0 || decoded.key.length > 200) return undefined;
  return { at: new Date(decoded.at), id: decoded.key };
}
