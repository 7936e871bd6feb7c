/**
 * App keys: `tsk.{app_id}.{secret}`, 256 bits of randomness. Only a keyed SHA-256 (HMAC with a
 * server-side pepper) is stored; a high-entropy key needs no slow hash, and the digest is compared
 * in constant time. The app id inside the key makes the lookup one read of that app's state.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { APP_ID_PATTERN } from '../../domain/apps';

const KEY_PATTERN = /^tsk\.([a-z0-9-]{1,63})\.([A-Za-z0-9_-]{43})$/;

export function generateAppKey(appId: string): string {
  return `tsk.${appId}.${randomBytes(32).toString('base64url')}`;
}

/** The app a well-formed key claims to belong to, or undefined for anything else. */
export function appIdOfKey(key: string): string | undefined {
  const match = KEY_PATTERN.exec(key);
  const appId = match?.[1];
  return appId !== undefined && APP_ID_PATTERN.test(appId) ? appId : undefined;
}

export function digestAppKey(pepper: string, key: string): string {
  return createHmac('sha256', pepper).update(key, 'utf8').digest('hex');
}

export function appKeyMatches(pepper: string, key: string, storedDigest: string): boolean {
  const given = Buffer.from(digestAppKey(pepper, key), 'hex');
  const stored = Buffer.from(storedDigest, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** The admin key is configured, not stored: compare digests so the comparison is constant time
 * whatever the lengths. */
export function adminKeyMatches(given: string, adminKey: string): boolean {
  const a = createHmac('sha256', 'tessera-admin').update(given, 'utf8').digest();
  const b = createHmac('sha256', 'tessera-admin').update(adminKey, 'utf8').digest();
  return timingSafeEqual(a, b);
}
