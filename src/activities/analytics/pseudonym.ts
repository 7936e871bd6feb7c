/** User ids become pseudonyms (keyed HMAC-SHA256, per app) before anything reaches ClickHouse. */
import { createHmac } from 'node:crypto';

export type Pseudonymize = (appId: string, userId: string) => string;

export function pseudonymizer(key: string): Pseudonymize {
  if (key.length < 16) throw new Error('the pseudonymization key must be at least 16 characters');
  return (appId, userId) => (userId === '' ? '' : createHmac('sha256', key).update(`${appId}\u0000${userId}`).digest('hex').slice(0, 32));
}
