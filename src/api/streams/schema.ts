/** Request shapes of the live event routes: a stream entry id to resume after, and the credential
 * as a query parameter (browsers' EventSource and WebSocket cannot set headers). */
import { z } from 'zod';
import { chatParams } from '../../domain/api/chats';

const MAX_ID_PART = 2n ** 64n - 1n;

const EVENT_ID = /^\d{1,20}-\d{1,20}$/;

export const eventIdSchema = z
  .string()
  .regex(EVENT_ID, 'must be a stream event id (<ms>-<seq>)')
  // Redis refuses parts above 2^64-1; refuse them here as bad input instead. (Zod runs this check
  // even when the pattern failed, so it must not assume the shape.)
  .refine((id) => !EVENT_ID.test(id) || id.split('-').every((part) => BigInt(part) <= MAX_ID_PART), 'event id out of range');

const accessToken = z.string().min(1).max(8192).optional().describe('The credential, for clients that cannot set Authorization');

export const streamParams = chatParams;

export const sseQuery = z.strictObject({
  after: eventIdSchema.optional().describe('Resume after this event id (`Last-Event-ID` wins when both are given)'),
  access_token: accessToken,
});

export const sseHeaders = z.object({
  'last-event-id': eventIdSchema.optional().describe('Sent by EventSource when it reconnects'),
});

export const wsQuery = z.strictObject({
  after: eventIdSchema.optional().describe('Resume after this event id'),
  access_token: accessToken,
});
