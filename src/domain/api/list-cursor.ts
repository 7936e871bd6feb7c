/**
 * Cursors of the newest-first lists (`GET /v1/chats`, `GET /v1/pack-runs`): the (instant, id) of the
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

export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, position.at.toISOString(), position.id]), 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this API issued. */
export function decodeListCursor(cursor: string): ListPosition | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [version, at, id] = parsed as unknown[];
  if (version !== CURSOR_VERSION || typeof at !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 200) return undefined;
  const instant = new Date(at);
  if (!Number.isFinite(instant.getTime())) return undefined;
  return { at: instant, id };
}
