/**
 * The keys of notifications, derived from one configured secret (`TESSERA_NOTIFY_KEY`):
 * - channel secrets (a webhook's signing secret, an SMTP password) are stored encrypted with
 *   AES-256-GCM (they must be used, so a digest would not do) and never returned by a read;
 * - approve/reject links are signed (HMAC-SHA256): `<payload base64url>.<signature base64url>`,
 *   naming the incident, the decision, the actor the message went to, a link id shared by the
 *   message's approve and reject links (single use), and the expiry.
 *
 * Not re-exported by `src/domain/ops` (workflow code imports that index; this module uses
 * node:crypto).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

function subkey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `tessera-notify:${purpose}`, 32));
}

export class NotifyKeys {
  readonly #secrets: Buffer;
  readonly #links: Buffer;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('the notification key must be at least 32 characters');
    this.#secrets = subkey(secret, 'channel-secrets');
    this.#links = subkey(secret, 'decision-links');
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#secrets, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed channel secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#secrets, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  signLink(link: DecisionLink): string {
    const payload = Buffer.from(JSON.stringify(link), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The link's content when the signature holds (expiry is the caller's to judge), else undefined. */
  verifyLink(token: string): DecisionLink | undefined {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const link = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<DecisionLink>;
      if (typeof link.incident_id !== 'string' || typeof link.app_id !== 'string' || typeof link.link_id !== 'string' ||
        typeof link.actor !== 'string' || typeof link.exp !== 'number' || (link.decision !== 'approve' && link.decision !== 'reject')) return undefined;
      return link as DecisionLink;
    } catch {
      return undefined;
    }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.#links).update(payload).digest('base64url');
  }
}

export interface DecisionLink {
  app_id: string;
  incident_id: string;
  decision: 'approve' | 'reject';
  /** Shared by the approve and reject links of one message: using either spends both. */
  link_id: string;
  /** Who the message went to (`email:oncall@example.com`, `slack:ops`): the decider of record. */
  actor: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}
