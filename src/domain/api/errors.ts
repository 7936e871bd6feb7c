/** The error body every route answers with, `{"error": {"code", "message", "details"?}}`, as a
 * schema for the API document. */
import { z } from 'zod';

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable'),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/** `{ 400: errorBodySchema, 404: … }` for the statuses a route documents. */
export function errorResponses<const S extends number>(...statuses: S[]): Record<S, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema])) as Record<S, typeof errorBodySchema>;
}
