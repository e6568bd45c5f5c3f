/**
 * Certificate-bound tokens (RFC 8705) end to end: oidc-provider 9 (its mTLS
 * feature) binds a client_credentials access token to the client's
 * certificate; the API is an HTTPS server asking for client certificates,
 * behind each adapter, and jwks-auth reads the TLS peer certificate of the
 * connection. Certificates are made here with openssl.
 */
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { VerifyResult } from '@jwks-auth/core';
import { ADAPTERS } from './harness.js';
import { API, requestToken, serveApi, startProvider } from './oidc.js';
import type { Api, IdentityProvider } from './oidc.js';
import { makeCertificates } from '../certificates.js';

const CLIENT = { id: 'mtls-client', secret: 'a-long-enough-client-secret-for-mtls-tests' };

let pem: ReturnType<typeof makeCertificates<'server' | 'client' | 'thief'>>;
let idp: IdentityProvider;

/** A client_credentials token request; the client certificate reaches the provider in a header, as from a TLS-terminating proxy. */
async function boundToken(): Promise<string> {
  const headers = { 'x-client-cert': encodeURIComponent(pem.client.cert) };
  return (await requestToken(idp.issuer, CLIENT, headers)).token;
}

/** GET over TLS, presenting `identity`'s certificate (or none). */
function get(
  base: string,
  token: string,
  identity?: 'client' | 'thief',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${base}/messages`,
      {
        headers: { authorization: `Bearer ${token}` },
        ca: pem.server.cert,
        ...(identity === undefined ? {} : { cert: pem[identity].cert, key: pem[identity].key }),
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const body = (auth: VerifyResult | null | undefined) => ({
  x5t: auth?.confirmation?.['x5t#S256'] ?? null,
  client: auth?.payload.client_id ?? null,
});
// Ask for a certificate, accept self-signed ones: RFC 8705 §3 binds to the certificate, not to a CA.
const tls = () => ({
  key: pem.server.key,
  cert: pem.server.cert,
  requestCert: true,
  rejectUnauthorized: false,
});

beforeAll(async () => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  pem = makeCertificates(['server', 'client', 'thief'] as const);
  idp = await startProvider(CLIENT, {
    client: { tls_client_certificate_bound_access_tokens: true },
    features: {
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx: { get(name: string): string }) => {
          const value = ctx.get('x-client-cert');
          return value ? decodeURIComponent(value) : undefined;
        },
      },
    },
  });
});

afterAll(async () => {
  await idp.close();
  pem?.remove();
});

describe.each(ADAPTERS)('oidc-provider certificate-bound tokens through %s', (name) => {
  let api: Api;
  beforeAll(async () => {
    // No mtls option: the default reads the connection's TLS peer certificate.
    api = await serveApi(name, { issuer: idp.issuer, audience: API, strict: true }, body, tls());
  });
  afterAll(() => api.close());

  it('passes with the client certificate the token is bound to, and only with it', async () => {
    const token = await boundToken();
    const ok = await get(api.base, token, 'client');
    expect(ok.status).toBe(200);
    const thumbprint = new X509Certificate(pem.client.cert).fingerprint256.replace(/:/g, '');
    expect(JSON.parse(ok.body)).toEqual({
      x5t: Buffer.from(thumbprint, 'hex').toString('base64url'),
      client: CLIENT.id,
    });
    expect((await get(api.base, token, 'thief')).status).toBe(401);
    expect((await get(api.base, token)).status).toBe(401);
  });
});
