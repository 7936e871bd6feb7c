/**
 * Runtime tokens: short-lived JWTs a browser uses for one chat. Signed HS256 with the server's
 * secret; verification pins the algorithm, issuer and audience and requires an expiry, so
 * `alg: none`, a token for another audience or an expired one is refused.
 */
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { z } from 'zod';

export const RUNTIME_TOKEN_ISSUER = 'tessera';
export const RUNTIME_TOKEN_AUDIENCE = 'tessera-runtime';
export const RUNTIME_TOKEN_MAX_TTL_SECONDS = 15 * 60;

export interface RuntimeScope {
  appId: string;
  userId: string;
  chatId: string;
}

export interface VerifiedRuntimeToken extends RuntimeScope {
  expiresAt: Date;
}

const claimsSchema = z.object({ app_id: z.string().min(1), user_id: z.string().min(1), chat_id: z.string().min(1) });

export class RuntimeTokens {
  private readonly key: Uint8Array;

  constructor(secret: string, private readonly now: () => Date = () => new Date()) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(scope: RuntimeScope, ttlSeconds = RUNTIME_TOKEN_MAX_TTL_SECONDS): Promise<{ token: string; expiresAt: Date }> {
    const ttl = Math.min(Math.max(1, Math.floor(ttlSeconds)), RUNTIME_TOKEN_MAX_TTL_SECONDS);
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const token = await new SignJWT({ app_id: scope.appId, user_id: scope.userId, chat_id: scope.chatId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(RUNTIME_TOKEN_ISSUER)
      .setAudience(RUNTIME_TOKEN_AUDIENCE)
      .setSubject(scope.userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .sign(this.key);
    return { token, expiresAt: new Date((issuedAt + ttl) * 1000) };
  }

  /** The token's scope, or undefined when it is not a valid, unexpired runtime token of ours. */
  async verify(token: string): Promise<VerifiedRuntimeToken | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: RUNTIME_TOKEN_ISSUER,
        audience: RUNTIME_TOKEN_AUDIENCE,
        requiredClaims: ['exp', 'iat'],
        maxTokenAge: RUNTIME_TOKEN_MAX_TTL_SECONDS + 5,
        currentDate: this.now(),
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) return undefined;
      return {
        appId: claims.data.app_id,
        userId: claims.data.user_id,
        chatId: claims.data.chat_id,
        expiresAt: new Date(Number(payload.exp) * 1000),
      };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return undefined;
      throw error;
    }
  }
}
