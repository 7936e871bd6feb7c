/**
 * `X-Tessera-Actor`: a token from the app's own identity provider (Keycloak, Auth0, ...), verified
 * against the provider's JWKS (fetched and cached by `jose`, one key set per URL) and turned into
 * the actor that audit entries name.
 */
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { IdentityProvider } from '../../domain/apps';
import type { ActorContext } from '../../domain/audit';

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export class ActorTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActorTokenError';
  }
}

export class ActorTokenVerifier {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  async verify(token: string, provider: IdentityProvider, appId: string): Promise<ActorContext> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(provider.jwks_url), {
        algorithms: ASYMMETRIC_ALGORITHMS,
        issuer: provider.issuer,
        ...(provider.audience ? { audience: provider.audience } : {}),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
        throw new ActorTokenError(`X-Tessera-Actor was not accepted: ${error.message}`);
      }
      throw error;
    }
    const tenantClaim = provider.tenant_claim ?? 'tenant';
    const email = stringClaim(payload.email);
    const tenant = stringClaim(payload[tenantClaim]);
    return {
      actor_id: String(payload.sub),
      roles: rolesOf(payload),
      app_id: appId,
      via: 'identity_provider',
      ...(email ? { email } : {}),
      ...(tenant ? { tenant } : {}),
    };
  }

  private keySet(url: string): ReturnType<typeof createRemoteJWKSet> {
    let keySet = this.keySets.get(url);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(url), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      this.keySets.set(url, keySet);
    }
    return keySet;
  }
}

/** `roles` as a plain claim, or Keycloak's `realm_access.roles`. */
function rolesOf(payload: JWTPayload): string[] {
  const direct = payload.roles;
  const realm = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
  const roles = Array.isArray(direct) ? direct : Array.isArray(realm) ? realm : [];
  return roles.filter((role): role is string => typeof role === 'string').slice(0, 50);
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 320 ? value : undefined;
}
