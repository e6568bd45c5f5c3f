/**
 * DPoP end to end with real parts: oidc-provider 9 (its DPoP feature) issues
 * DPoP-bound JWT access tokens through client_credentials to a client that
 * makes its proofs with panva's `dpop` library, for the token request and
 * for the API calls, through all three adapters over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { VerifyResult } from '@jwks-auth/core';
import * as DPoP from 'dpop';
import { ADAPTERS } from './harness.js';
import { API, requestToken, serveApi, startProvider } from './oidc.js';
import type { Api, IdentityProvider } from './oidc.js';

const CLIENT = { id: 'dpop-client', secret: 'a-long-enough-client-secret-for-dpop-tests' };
let idp: IdentityProvider;
let keyPair: DPoP.KeyPair;

/** A client_credentials token request carrying a DPoP proof made by the dpop library. */
async function dpopToken(pair: DPoP.KeyPair) {
  const proof = await DPoP.generateProof(pair, `${idp.issuer}/token`, 'POST');
  return requestToken(idp.issuer, CLIENT, { dpop: proof });
}

const body = (auth: VerifyResult | null | undefined) => ({
  scheme: auth?.scheme ?? null,
  jkt: auth?.confirmation?.jkt ?? null,
  client: auth?.payload.client_id ?? null,
});

beforeAll(async () => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  idp = await startProvider(CLIENT, { features: { dPoP: { enabled: true } } });
  keyPair = await DPoP.generateKeyPair('ES256');
});
afterAll(() => idp.close());

describe.each(ADAPTERS)('oidc-provider DPoP tokens through %s', (name) => {
  let api: Api;
  beforeAll(async () => {
    // Discovery from the issuer URL alone, RFC 9068 strict, DPoP beside Bearer.
    api = await serveApi(name, { issuer: idp.issuer, audience: API, strict: true, dpop: {} }, body);
  });
  afterAll(() => api.close());

  it('accepts the DPoP-bound token with a proof from the dpop library, once', async () => {
    const { token, type } = await dpopToken(keyPair);
    expect(type).toBe('DPoP');
    const url = `${api.base}/messages`;
    const proof = await DPoP.generateProof(keyPair, url, 'GET', undefined, token);
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    const res = await fetch(`${url}?page=1`, { headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      scheme: 'DPoP',
      jkt: await DPoP.calculateThumbprint(keyPair.publicKey),
      client: CLIENT.id,
    });
    const again = await fetch(url, { headers });
    expect(again.status).toBe(401);
    expect(again.headers.get('www-authenticate')).toMatch(
      /^DPoP algs="[^"]+", error="invalid_dpop_proof"/,
    );
  });

  it('refuses the bound token as Bearer, and with a proof by another key', async () => {
    const { token } = await dpopToken(keyPair);
    const url = `${api.base}/messages`;
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="api", error="invalid_token"/,
    );
    const thief = await DPoP.generateKeyPair('ES256');
    const stolen = await DPoP.generateProof(thief, url, 'GET', undefined, token);
    const res = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: stolen } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
  });
});
