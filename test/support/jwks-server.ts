/**
 * A stand-in identity provider for tests: a loopback HTTP server publishing a real RS256 key set
 * (JWKS), and a signer for tokens under that key — what Keycloak or Auth0 would be to an app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface JwksServer {
  jwksUrl: string;
  kid: string;
  /** How many times the key set was fetched. */
  fetches(): number;
  /** Signs `claims` with the published key (RS256, header `kid`). */
  sign(claims: JWTPayload, options?: { kid?: string; key?: CryptoKey }): Promise<string>;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const kid = 'test-key-1';
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
  let fetches = 0;
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/realms/test/protocol/openid-connect/certs') {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/realms/test/protocol/openid-connect/certs`,
    kid,
    fetches: () => fetches,
    sign: (claims, options = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? kid }).sign(options.key ?? privateKey),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
