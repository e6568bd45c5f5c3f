import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  jwtVerify,
} from 'jose';
import { createDpopKey, createTestIssuer } from '../src/index.js';
import type { DpopKey, DpopProofOptions, TestIssuer, TestIssuerOptions } from '../src/index.js';

const AUDIENCE = 'https://api.example.test';

const open: TestIssuer[] = [];

/** An issuer closed after the test; ES256 because RSA keygen is slow. */
async function issuerFor(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ algorithms: ['ES256'], ...options });
  open.push(issuer);
  return issuer;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});

interface TokenReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

interface TokenRequest {
  /** Form parameters; default `{ grant_type: 'client_credentials' }`. */
  form?: Record<string, string | string[]>;
  dpop?: string;
  headers?: Record<string, string>;
}

async function requestToken(issuer: TestIssuer, request: TokenRequest = {}): Promise<TokenReply> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(
    request.form ?? { grant_type: 'client_credentials' },
  )) {
    for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
  }
  const res = await fetch(issuer.tokenEndpoint, {
    method: 'POST',
    headers: { ...(request.dpop ? { dpop: request.dpop } : {}), ...request.headers },
    body: form,
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** A POST over node:http, which can repeat a header (fetch would join the values). */
function rawPost(url: string, headers: OutgoingHttpHeaders, body: string): Promise<TokenReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function verifyAgainst(issuer: TestIssuer, token: string) {
  return jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
    issuer: issuer.issuer,
    audience: AUDIENCE,
  });
}

describe('token endpoint: Bearer', () => {
  it('issues an unbound Bearer token for client_credentials without a DPoP proof', async () => {
    const issuer = await issuerFor();
    expect(issuer.tokenEndpoint).toBe(`${issuer.issuer}/token`);
    const { status, headers, body } = await requestToken(issuer);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-type')).toBe('application/json');
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read:messages' });

    const token = body.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const { payload } = await verifyAgainst(issuer, token);
    expect(payload).toMatchObject({
      iss: issuer.issuer,
      aud: AUDIENCE,
      sub: 'test-user',
      client_id: 'test-client',
      scope: 'read:messages',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    expect(payload).not.toHaveProperty('cnf');
    expect(issuer.requests).toMatchObject({ token: 1, total: 2 });
  });

  it('uses scope, resource (as aud) and client_id; client_secret_basic is accepted unchecked', async () => {
    const issuer = await issuerFor();
    const one = await requestToken(issuer, {
      form: {
        grant_type: 'client_credentials',
        scope: 'read:a write:b',
        resource: 'https://one.example.test/api',
      },
      headers: {
        authorization: `Basic ${Buffer.from('my%20client:wrong-secret').toString('base64')}`,
      },
    });
    expect(one.status).toBe(200);
    expect(one.body.scope).toBe('read:a write:b');
    expect(decodeJwt(one.body.access_token as string)).toMatchObject({
      aud: 'https://one.example.test/api',
      scope: 'read:a write:b',
      client_id: 'my client',
    });

    const two = await requestToken(issuer, {
      form: {
        grant_type: 'client_credentials',
        client_id: 'form-client',
        resource: ['https://one.example.test', 'https://two.example.test'],
      },
    });
    expect(two.status).toBe(200);
    expect(decodeJwt(two.body.access_token as string)).toMatchObject({
      aud: ['https://one.example.test', 'https://two.example.test'],
      client_id: 'form-client',
    });
  });

  it.each<[string, TokenRequest, number, string]>([
    ['no grant_type', { form: { scope: 'x' } }, 400, 'invalid_request'],
    ['an empty grant_type', { form: { grant_type: '' } }, 400, 'invalid_request'],
    ['a password grant', { form: { grant_type: 'password' } }, 400, 'unsupported_grant_type'],
    [
      'an authorization_code grant',
      { form: { grant_type: 'authorization_code', code: 'abc' } },
      400,
      'unsupported_grant_type',
    ],
    [
      'a repeated parameter',
      { form: { grant_type: 'client_credentials', scope: ['a', 'b'] } },
      400,
      'invalid_request',
    ],
    [
      'a scope with a quote',
      { form: { grant_type: 'client_credentials', scope: 'a "b"' } },
      400,
      'invalid_scope',
    ],
    [
      'a relative resource',
      { form: { grant_type: 'client_credentials', resource: '/api' } },
      400,
      'invalid_target',
    ],
    [
      'a resource with a fragment',
      { form: { grant_type: 'client_credentials', resource: 'https://api.test/#x' } },
      400,
      'invalid_target',
    ],
  ])('refuses %s', async (_name, request, status, error) => {
    const issuer = await issuerFor();
    const reply = await requestToken(issuer, request);
    expect(reply.status).toBe(status);
    expect(reply.body.error).toBe(error);
    expect(typeof reply.body.error_description).toBe('string');
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses other methods, other content types and oversized bodies', async () => {
    const issuer = await issuerFor();
    const get = await fetch(issuer.tokenEndpoint);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toMatchObject({ error: 'invalid_request' });

    const asJson = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(asJson.status).toBe(400);
    expect(await asJson.json()).toMatchObject({ error: 'invalid_request' });

    const huge = await requestToken(issuer, {
      form: { grant_type: 'client_credentials', scope: 'x'.repeat(70_000) },
    });
    expect(huge.status).toBe(400);
    expect(huge.body.error).toBe('invalid_request');
    expect(huge.body.error_description).toMatch(/larger than/);
    expect(issuer.requests.token).toBe(3);
  });

  it('answers 500 server_error when the issuer cannot sign', async () => {
    const issuer = await issuerFor({ algorithms: [] });
    const reply = await requestToken(issuer);
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({ error: 'server_error' });
  });
});

describe('token endpoint: DPoP', () => {
  let dpop: DpopKey;

  beforeAll(async () => {
    dpop = await createDpopKey();
  });

  function proofFor(issuer: TestIssuer, options: Partial<DpopProofOptions> = {}) {
    return dpop.proof({ htm: 'POST', htu: issuer.tokenEndpoint, ...options });
  }

  it('issues a DPoP token bound to the proof key (cnf.jkt = its RFC 7638 thumbprint)', async () => {
    const issuer = await issuerFor();
    const { status, body } = await requestToken(issuer, { dpop: await proofFor(issuer) });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'DPoP', expires_in: 300, scope: 'read:messages' });
    const { payload } = await verifyAgainst(issuer, body.access_token as string);
    expect(payload.cnf).toEqual({ jkt: dpop.thumbprint });
    expect(dpop.thumbprint).toBe(await calculateJwkThumbprint(dpop.publicJwk, 'sha256'));
  });

  it.each(['PS256', 'EdDSA', 'ES384'] as const)('accepts %s proofs', async (alg) => {
    const issuer = await issuerFor();
    const key = await createDpopKey(alg);
    const proof = await key.proof({ htm: 'POST', htu: issuer.tokenEndpoint });
    const { status, body } = await requestToken(issuer, { dpop: proof });
    expect(status).toBe(200);
    expect(decodeJwt(body.access_token as string).cnf).toEqual({ jkt: key.thumbprint });
  });

  it('ignores the query and fragment of htu, and works under an issuer path', async () => {
    const issuer = await issuerFor({ path: '/tenant-a' });
    expect(issuer.tokenEndpoint).toBe(`${issuer.url}/tenant-a/token`);
    const proof = await proofFor(issuer, { htu: `${issuer.tokenEndpoint}?x=1#frag` });
    const { status, body } = await requestToken(issuer, { dpop: proof });
    expect(status).toBe(200);
    expect(body.token_type).toBe('DPoP');
  });

  it('refuses a replayed proof', async () => {
    const issuer = await issuerFor();
    const proof = await proofFor(issuer);
    expect((await requestToken(issuer, { dpop: proof })).status).toBe(200);
    const replay = await requestToken(issuer, { dpop: proof });
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'DPoP proof jti has already been used',
    });
    // A fresh proof from the same key is fine.
    expect((await requestToken(issuer, { dpop: await proofFor(issuer) })).status).toBe(200);
  });

  it('lets only one of two concurrent requests with the same proof through', async () => {
    const issuer = await issuerFor();
    const proof = await proofFor(issuer);
    const replies = await Promise.all([
      requestToken(issuer, { dpop: proof }),
      requestToken(issuer, { dpop: proof }),
    ]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 400]);
  });

  it.each<[string, (issuer: TestIssuer) => Promise<string>, RegExp]>([
    ['htm GET', (i) => proofFor(i, { htm: 'GET' }), /htm must be POST/],
    ['htm post (case matters)', (i) => proofFor(i, { htm: 'post' }), /htm must be POST/],
    ['htu of another path', (i) => proofFor(i, { htu: i.jwksUri }), /htu must be/],
    [
      'htu of another port',
      (i) => proofFor(i, { htu: i.tokenEndpoint.replace(/:\d+/, ':1') }),
      /htu must be/,
    ],
    [
      'htu over https',
      (i) => proofFor(i, { htu: i.tokenEndpoint.replace('http:', 'https:') }),
      /htu/,
    ],
    ['an htu that is not a URL', (i) => proofFor(i, { htu: 'token' }), /htu must be/],
    ['no htu', (i) => proofFor(i, { omit: ['htu'] }), /htu must be/],
    ['no jti', (i) => proofFor(i, { omit: ['jti'] }), /jti/],
    ['no iat', (i) => proofFor(i, { omit: ['iat'] }), /iat/],
    ['an old iat', (i) => proofFor(i, { iat: Math.floor(Date.now() / 1000) - 301 }), /iat/],
    ['a future iat', (i) => proofFor(i, { iat: Math.floor(Date.now() / 1000) + 301 }), /iat/],
    ['an ath', (i) => proofFor(i, { accessToken: 'some-token' }), /ath/],
    ['typ JWT', (i) => proofFor(i, { typ: 'JWT' }), /typ/],
    ['alg none', (i) => proofFor(i, { alg: 'none' }), /rejected/],
    ['alg HS256', (i) => proofFor(i, { alg: 'HS256' }), /rejected/],
    ['no jwk', (i) => proofFor(i, { extraHeader: { jwk: undefined } }), /rejected/],
    [
      "another key's jwk",
      async (i) => proofFor(i, { jwk: { ...(await createDpopKey()).publicJwk } }),
      /rejected/,
    ],
    [
      'a private jwk',
      async (i) => proofFor(i, { jwk: { ...(await exportJWK(dpop.privateKey)) } }),
      /rejected/,
    ],
    ['a tampered signature', async (i) => `${(await proofFor(i)).slice(0, -4)}AAAA`, /rejected/],
    ['garbage', async () => 'not-a-jwt', /rejected/],
  ])('refuses a proof with %s (invalid_dpop_proof)', async (_name, makeProof, description) => {
    const issuer = await issuerFor();
    const reply = await requestToken(issuer, { dpop: await makeProof(issuer) });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('invalid_dpop_proof');
    expect(reply.body.error_description).toMatch(description);
  });

  it('accepts an iat within 300 s either way', async () => {
    const issuer = await issuerFor();
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 290, now + 290]) {
      expect((await requestToken(issuer, { dpop: await proofFor(issuer, { iat }) })).status).toBe(
        200,
      );
    }
  });

  it('refuses two DPoP headers, even with valid proofs', async () => {
    const issuer = await issuerFor();
    const reply = await rawPost(
      issuer.tokenEndpoint,
      {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: [await proofFor(issuer), await proofFor(issuer)],
      },
      'grant_type=client_credentials',
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('requireDpop refuses a request without a proof and accepts one with a proof', async () => {
    const issuer = await issuerFor({ requireDpop: true });
    const plain = await requestToken(issuer);
    expect(plain.status).toBe(400);
    expect(plain.body).toEqual({
      error: 'invalid_request',
      error_description: 'A DPoP proof is required (requireDpop)',
    });
    const bound = await requestToken(issuer, { dpop: await proofFor(issuer) });
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
  });
});

describe('token endpoint: metadata, faults and counters', () => {
  it.each([{}, { requireDpop: true }])(
    'both metadata documents advertise the endpoint and DPoP algorithms (%j)',
    async (options) => {
      const issuer = await issuerFor(options);
      for (const url of [issuer.discoveryUrl, issuer.oauthMetadataUrl]) {
        const doc = (await (await fetch(url)).json()) as Record<string, unknown>;
        expect(doc.token_endpoint).toBe(issuer.tokenEndpoint);
        expect(doc.grant_types_supported).toContain('client_credentials');
        const algs = doc.dpop_signing_alg_values_supported as string[];
        expect(algs).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA']));
        expect(algs).not.toContain('none');
        expect(algs.some((alg) => alg.startsWith('HS'))).toBe(false);
      }
    },
  );

  it('status faults reach the token endpoint through all or only: token, not only: jwks', async () => {
    const issuer = await issuerFor();
    const dpop = await createDpopKey();
    const proof = await dpop.proof({ htm: 'POST', htu: issuer.tokenEndpoint });

    await issuer.fail({ type: 'status', status: 503 }, { only: 'jwks' });
    expect((await requestToken(issuer)).status).toBe(200);

    await issuer.fail({ type: 'status', status: 503 }, { only: 'token' });
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
    const failed = await requestToken(issuer, { dpop: proof });
    expect(failed).toMatchObject({ status: 503, body: { error: 'injected_fault', status: 503 } });

    await issuer.fail({ type: 'status', status: 500 });
    expect((await requestToken(issuer)).status).toBe(500);

    // The faulted requests issued nothing, so the proof's jti is still unused.
    await issuer.heal();
    const healed = await requestToken(issuer, { dpop: proof });
    expect(healed.status).toBe(200);
    expect(healed.body.token_type).toBe('DPoP');
    expect(issuer.requests).toEqual({ jwks: 1, discovery: 0, token: 4, total: 5 });
  });

  it('hang holds a token request until heal, which answers it normally', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'hang' }, { only: 'token' });
    const pending = requestToken(issuer);
    await issuer.waitForRequests('token', 1);
    await issuer.heal();
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(reply.body.token_type).toBe('Bearer');
  });

  it('slow delays, empty and garbage replace, oversized pads the token response', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'slow', delayMs: 200 }, { only: 'token' });
    const started = Date.now();
    expect((await requestToken(issuer)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);

    await issuer.fail({ type: 'empty' }, { only: 'token' });
    const empty = await requestToken(issuer);
    expect([empty.status, empty.body]).toEqual([200, {}]);

    await issuer.fail({ type: 'garbage' }, { only: 'token' });
    const garbage = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(garbage.status).toBe(200);
    await expect(garbage.json()).rejects.toMatchObject({ name: 'SyntaxError' });

    await issuer.fail({ type: 'oversized', bytes: 50_000 }, { only: 'token' });
    const res = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.byteLength(text)).toBe(50_000);
    expect(JSON.parse(text)).toMatchObject({ token_type: 'Bearer' });

    const refused = await requestToken(issuer, { form: { grant_type: 'password' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('unsupported_grant_type');
  });

  it('counts token requests of any method, and resets and waits for them', async () => {
    const issuer = await issuerFor();
    const waiting = issuer.waitForRequests('token', 2);
    await requestToken(issuer);
    await fetch(issuer.tokenEndpoint);
    await expect(waiting).resolves.toBeUndefined();
    expect(issuer.requests).toEqual({ jwks: 0, discovery: 0, token: 2, total: 2 });
    issuer.resetCounts();
    expect(issuer.requests.token).toBe(0);
  });
});
