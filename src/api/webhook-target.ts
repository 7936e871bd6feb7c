/**
 * A webhook receiver's host is resolved when the webhook is set, so a name that does not resolve is
 * a clear 400 at once rather than a delivery that can never succeed. (Whether the address is
 * private is checked again at each delivery, where the request is pinned to the checked address:
 * DNS may answer differently by then.)
 */
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import { HttpError } from './errors';

const LOOKUP_TIMEOUT_MS = 3000;

export async function assertWebhookHostResolves(url: string): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    const addresses = await Promise.race([
      dns.lookup(host, { all: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), LOOKUP_TIMEOUT_MS);
      }),
    ]);
    if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
  } catch (error) {
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'ERROR';
    throw new HttpError(400, 'webhook_host_unresolved', `webhook host '${host}' does not resolve (${code}); check the URL`, { host, dns_error: code });
  } finally {
    clearTimeout(timer);
  }
}
