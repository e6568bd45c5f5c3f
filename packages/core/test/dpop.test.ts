/** DPoP (RFC 9449) and certificate-bound tokens (RFC 8705) through the core verifier. */
import { X509Certificate, createHash } from 'node:crypto';
import { makeCertificates } from '../../../test/certificates.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier, memoryReplayStore } from '@jwks-auth/core';
import type { Verifier, VerifierOptions } from '@jwks-auth/core';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { DpopKey, TestIssuer } from '@jwks-auth/testing';

const AUD = 'https://api.example.test';
const ORIGIN = 'https://api.example.test';
const SECRET = 'a-nonce-secret-of-at-least-32-characters!';
let issuer: TestIssuer;
let key: DpopKey;
let other: DpopKey;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  key = await createDpopKey('ES256');
  other = await createDpopKey('ES256');
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  await issuer.close();
});

function make(
  dpop: VerifierOptions['dpop'] = { origin: ORIGIN },
  extra: Partial<VerifierOptions> = {},
) {
  const v = createVerifier({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: AUD,
    dpop,
    ...extra,
  });
  verifiers.push(v);
  return v;
}

interface Sent {
  method?: string;
  path?: string;
  scheme?: string;
  dpop?: string | string[];
}
const request = (token: string, sent: Sent = {}) => ({
  method: sent.method ?? 'GET',
  url: sent.path ?? '/orders?page=2',
  headers: {
    host: 'api.example.test',
    authorization: `${sent.scheme ?? 'DPoP'} ${token}`,
    ...(sent.dpop === undefined ? {} : { dpop: sent.dpop }),
  },
});
const proofFor = (token: string, extra: Partial<Parameters<DpopKey['proof']>[0]> = {}, by = key) =>
  by.proof({ htm: 'GET', htu: `${ORIGIN}/orders`, accessToken: token, ...extra });

/** `handle` answers synchronously when it can: a promise either way, for `expect(...).resolves/rejects`. */
const run = (v: Verifier, req: Parameters<Verifier['handle']>[0]) =>
  new Promise((resolve) => resolve(v.handle(req)));

async function outcome(v: Verifier, req: ReturnType<typeof request>) {
  try {
    return { result: await v.handle(req) };
  } catch (error) {
    return { error: error as { status: number; code: string; headers: Record<string, string> } };
  }
}

describe('DPoP proofs', () => {
  it('accepts a bound token with a valid proof, and says how it was presented', async () => {
    const v = make();
    const token = await issuer.sign({}, { boundTo: key });
    const { result } = await outcome(v, request(token, { dpop: await proofFor(token) }));
    expect(result).toMatchObject({ scheme: 'DPoP', confirmation: { jkt: key.thumbprint } });
  });

  it.each<[string, (token: string) => Promise<Sent>, string | undefined]>([
    ['a replayed proof', async () => ({}), 'the proof was already used'],
    ['another method', async (t) => ({ dpop: await proofFor(t, { htm: 'POST' }) }), 'htm'],
    ['another path', async (t) => ({ dpop: await proofFor(t, { htu: `${ORIGIN}/admin` }) }), 'htu'],
    [
      'another host',
      async (t) => ({ dpop: await proofFor(t, { htu: 'https://evil.example/orders' }) }),
      'htu',
    ],
    [
      'ath of another token',
      async (t) => ({ dpop: await proofFor(t, { accessToken: `${t}x` }) }),
      'ath',
    ],
    ['a key other than cnf.jkt', async (t) => ({ dpop: await proofFor(t, {}, other) }), 'cnf.jkt'],
    [
      'an old proof',
      async (t) => ({ dpop: await proofFor(t, { iat: Math.floor(Date.now() / 1000) - 400 }) }),
      'time window',
    ],
    [
      'a proof from the future',
      async (t) => ({ dpop: await proofFor(t, { iat: Math.floor(Date.now() / 1000) + 400 }) }),
      'time window',
    ],
    ['no jti', async (t) => ({ dpop: await proofFor(t, { omit: ['jti'] }) }), 'jti'],
    [
      'a jti of 300 characters',
      async (t) => ({ dpop: await proofFor(t, { jti: 'j'.repeat(300) }) }),
      'jti',
    ],
    ['typ jwt', async (t) => ({ dpop: await proofFor(t, { typ: 'JWT' }) }), 'typ'],
    [
      'alg none in the header',
      async (t) => ({ dpop: await proofFor(t, { alg: 'none' }) }),
      'algorithm',
    ],
    [
      'alg HS256 in the header',
      async (t) => ({ dpop: await proofFor(t, { alg: 'HS256' }) }),
      'algorithm',
    ],
    [
      'no jwk',
      async (t) => ({ dpop: await proofFor(t, { extraHeader: { jwk: undefined } }) }),
      'jwk',
    ],
    [
      'a private jwk',
      async (t) => {
        const { exportJWK } = await import('jose');
        return { dpop: await proofFor(t, { jwk: { ...(await exportJWK(key.privateKey)) } }) };
      },
      'private member',
    ],
    [
      'two DPoP headers',
      async (t) => ({ dpop: [await proofFor(t), await proofFor(t)] }),
      'more than one DPoP header',
    ],
    [
      'two DPoP headers joined',
      async (t) => ({ dpop: `${await proofFor(t)}, ${await proofFor(t)}` }),
      'more than one DPoP header',
    ],
    ['no DPoP header', async () => ({ dpop: undefined }), 'missing'],
    [
      'an oversized proof',
      async (t) => ({ dpop: await proofFor(t, { extraClaims: { pad: 'x'.repeat(5000) } }) }),
      'too large',
    ],
    ['a proof that is not a JWS', async () => ({ dpop: 'not.a.jws' }), 'not a JWS'],
  ])('refuses %s: 401 invalid_dpop_proof with a DPoP challenge', async (_name, sent, reason) => {
    const v = make();
    const token = await issuer.sign({}, { boundTo: key });
    let s = await sent(token);
    if (_name === 'a replayed proof') {
      const proof = await proofFor(token);
      await v.handle(request(token, { dpop: proof }));
      s = { dpop: proof };
    }
    const { error } = await outcome(v, request(token, s));
    expect(error).toMatchObject({ status: 401, code: 'ERR_DPOP_PROOF_INVALID' });
    expect(error!.headers['WWW-Authenticate']).toMatch(
      /^DPoP algs="[^"]*ES256[^"]*", error="invalid_dpop_proof"/,
    );
    if (reason !== undefined) expect(error!.headers['WWW-Authenticate']).toContain(reason);
  });

  it('compares htu without query and fragment, scheme and host case-insensitively, default port dropped', async () => {
    const v = make();
    const token = await issuer.sign({}, { boundTo: key });
    for (const htu of [
      `${ORIGIN}/orders?other=1`,
      `${ORIGIN}/orders#frag`,
      'HTTPS://API.EXAMPLE.TEST:443/orders',
    ]) {
      const { result, error } = await outcome(
        v,
        request(token, { dpop: await proofFor(token, { htu }) }),
      );
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ scheme: 'DPoP' });
    }
    // The path is compared exactly.
    const { error } = await outcome(
      v,
      request(token, { dpop: await proofFor(token, { htu: `${ORIGIN}/Orders` }) }),
    );
    expect(error).toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID' });
  });

  it('verifies every proof, even when the token verdict comes from the cache', async () => {
    const v = make();
    const token = await issuer.sign({}, { boundTo: key });
    const first = await proofFor(token);
    await v.handle(request(token, { dpop: first }));
    await expect(run(v, request(token, { dpop: await proofFor(token) }))).resolves.toMatchObject({
      scheme: 'DPoP',
    });
    await expect(run(v, request(token, { dpop: first }))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
    });
    await expect(
      run(v, request(token, { dpop: await proofFor(token, { htm: 'PUT' }) })),
    ).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
    });
  });

  it('accepts any of several configured origins', async () => {
    const v = make({ origin: ['https://a.example', 'https://b.example:8443'] });
    const token = await issuer.sign({}, { boundTo: key });
    for (const htu of ['https://a.example/orders', 'https://b.example:8443/orders']) {
      await expect(
        run(v, request(token, { dpop: await proofFor(token, { htu }) })),
      ).resolves.toMatchObject({
        scheme: 'DPoP',
      });
    }
    await expect(
      run(v, request(token, { dpop: await proofFor(token, { htu: 'https://b.example/orders' }) })),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID' });
  });

  it('without origin and without an adapter, no htu can match (the Host header is never trusted)', async () => {
    const v = make({});
    const token = await issuer.sign({}, { boundTo: key });
    const proof = await proofFor(token, { htu: 'https://api.example.test/orders' });
    await expect(run(v, request(token, { dpop: proof }))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
    });
  });
});

describe('bound and unbound tokens', () => {
  it('refuses a DPoP-bound token sent as Bearer, with DPoP on or off', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    for (const v of [make(), make(false)]) {
      await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
        status: 401,
        code: 'ERR_TOKEN_BOUND',
        headers: {
          'WWW-Authenticate': expect.stringMatching(/^Bearer realm="api", error="invalid_token"/),
        },
      });
      // Twice: a cached verdict must not open the hot path to it.
      await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
        code: 'ERR_TOKEN_BOUND',
      });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_BOUND' });
    }
  });

  it('refuses an unbound token sent as DPoP', async () => {
    const v = make();
    const token = await issuer.sign();
    await expect(run(v, request(token, { dpop: await proofFor(token) }))).rejects.toMatchObject({
      status: 401,
      code: 'ERR_TOKEN_NOT_BOUND',
      headers: {
        'WWW-Authenticate': expect.stringMatching(/^DPoP algs="[^"]+", error="invalid_token"/),
      },
    });
  });

  it('answers the DPoP scheme like any unsupported scheme when DPoP is off', async () => {
    const v = make(false);
    const token = await issuer.sign({}, { boundTo: key });
    await expect(run(v, request(token, { dpop: await proofFor(token) }))).rejects.toMatchObject({
      status: 400,
      headers: {
        'WWW-Authenticate': expect.stringMatching(/^Bearer realm="api", error="invalid_request"/),
      },
    });
  });

  it('keeps Bearer working beside DPoP, and challenges with both schemes', async () => {
    const v = make();
    const token = await issuer.sign();
    await expect(run(v, request(token, { scheme: 'Bearer' }))).resolves.toMatchObject({
      scheme: 'Bearer',
    });
    await expect(run(v, { method: 'GET', url: '/', headers: {} })).rejects.toMatchObject({
      status: 401,
      headers: {
        'WWW-Authenticate': expect.stringMatching(/^Bearer realm="api", DPoP algs="[^"]+"$/),
      },
    });
  });

  it('with required, refuses Bearer and challenges with DPoP only', async () => {
    const v = make({ origin: ORIGIN, required: true });
    const token = await issuer.sign();
    await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
      status: 401,
      code: 'ERR_DPOP_REQUIRED',
      headers: {
        'WWW-Authenticate': expect.stringMatching(/^DPoP algs="[^"]+", error="invalid_token"/),
      },
    });
    // Also for the second time (the hot path is off when DPoP is required).
    await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
      code: 'ERR_DPOP_REQUIRED',
    });
    await expect(run(v, { method: 'GET', url: '/', headers: {} })).rejects.toMatchObject({
      headers: { 'WWW-Authenticate': expect.stringMatching(/^DPoP algs="[^"]+"$/) },
    });
  });

  it('accepts a cnf with members other than jkt beside it', async () => {
    const v = make();
    const token = await issuer.sign({
      cnf: { jkt: key.thumbprint, 'x5t#S256_unused': 'x', kid: 'k' },
    });
    await expect(run(v, request(token, { dpop: await proofFor(token) }))).resolves.toMatchObject({
      scheme: 'DPoP',
      confirmation: { jkt: key.thumbprint },
    });
  });

  it('refuses a malformed cnf', async () => {
    const v = make();
    for (const cnf of ['x', { jkt: 5 }, { jkt: '' }, [1]]) {
      const token = await issuer.sign({ cnf });
      await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
        code: 'ERR_CLAIM_INVALID',
      });
    }
  });
});

describe('server nonces', () => {
  const NOW = Date.now();
  it('asks for a nonce, accepts the one it issued, refuses forged and expired ones', async () => {
    const v = make({ origin: ORIGIN, nonce: { secret: SECRET, lifetime: 60 } });
    const token = await issuer.sign({}, { boundTo: key });
    const { error } = await outcome(v, request(token, { dpop: await proofFor(token) }));
    expect(error).toMatchObject({ status: 401, code: 'ERR_DPOP_NONCE_REQUIRED' });
    expect(error!.headers['WWW-Authenticate']).toMatch(
      /^DPoP algs="[^"]+", error="use_dpop_nonce"/,
    );
    const nonce = error!.headers['DPoP-Nonce']!;
    expect(nonce).toMatch(/^[0-9a-z]+\.[\w-]+$/);
    await expect(
      run(v, request(token, { dpop: await proofFor(token, { nonce }) })),
    ).resolves.toMatchObject({
      scheme: 'DPoP',
    });
    const [window, mac] = nonce.split('.');
    for (const bad of [
      `${window}.${mac!.slice(1)}A`,
      `${(parseInt(window!, 36) - 2).toString(36)}.${mac}`,
      'x',
    ]) {
      await expect(
        run(v, request(token, { dpop: await proofFor(token, { nonce: bad }) })),
      ).rejects.toMatchObject({
        code: 'ERR_DPOP_NONCE_REQUIRED',
        headers: { 'DPoP-Nonce': expect.stringContaining('.') },
      });
    }
    void NOW;
  });

  it('a fleet sharing the secret shares nonces; a rotated-out secret still verifies', async () => {
    const a = make({ origin: ORIGIN, nonce: { secret: SECRET } });
    const b = make({ origin: ORIGIN, nonce: { secret: [`${SECRET}-new`, SECRET] } });
    const token = await issuer.sign({}, { boundTo: key });
    const { error } = await outcome(a, request(token, { dpop: await proofFor(token) }));
    const nonce = error!.headers['DPoP-Nonce']!;
    await expect(
      run(b, request(token, { dpop: await proofFor(token, { nonce }) })),
    ).resolves.toMatchObject({
      scheme: 'DPoP',
    });
  });
});

describe('replay stores', () => {
  it('awaits an async store, and fails closed (503) when it throws, rejects or answers a non-boolean', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const used = new Set<string>();
    const async = make({
      origin: ORIGIN,
      replay: { markUsed: async (k: string) => (used.has(k) ? false : (used.add(k), true)) },
    });
    const proof = await proofFor(token);
    await expect(run(async, request(token, { dpop: proof }))).resolves.toMatchObject({
      scheme: 'DPoP',
    });
    await expect(run(async, request(token, { dpop: proof }))).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_INVALID',
    });
    for (const markUsed of [
      () => {
        throw new Error('down');
      },
      () => Promise.reject(new Error('down')),
      () => 'yes' as unknown as boolean,
    ]) {
      const v = make({ origin: ORIGIN, replay: { markUsed } });
      await expect(run(v, request(token, { dpop: await proofFor(token) }))).rejects.toMatchObject({
        status: 503,
        code: 'ERR_HOOK_FAILED',
        headers: { 'Retry-After': '1' },
      });
    }
  });

  it('gives the store a lifetime covering the whole acceptance window', async () => {
    const ttls: number[] = [];
    const v = make(
      {
        origin: ORIGIN,
        maxProofAge: 60,
        replay: { markUsed: (_k, ttl) => (ttls.push(ttl), true) },
      },
      { clockTolerance: 5 },
    );
    const token = await issuer.sign({}, { boundTo: key });
    const now = Math.floor(Date.now() / 1000);
    await v.handle(request(token, { dpop: await proofFor(token, { iat: now + 60 }) }));
    expect(ttls[0]).toBeGreaterThanOrEqual(2 * 60 + 5);
  });

  it('the in-memory store refuses new proofs when full of live entries, instead of forgetting one', () => {
    const store = memoryReplayStore(2);
    expect(store.markUsed('a', 60)).toBe(true);
    expect(store.markUsed('a', 60)).toBe(false);
    expect(store.markUsed('b', 60)).toBe(true);
    expect(() => store.markUsed('c', 60)).toThrow(/full/);
  });

  it('with replay: false, the same proof passes twice', async () => {
    const v = make({ origin: ORIGIN, replay: false });
    const token = await issuer.sign({}, { boundTo: key });
    const proof = await proofFor(token);
    await v.handle(request(token, { dpop: proof }));
    await expect(run(v, request(token, { dpop: proof }))).resolves.toMatchObject({
      scheme: 'DPoP',
    });
  });
});

describe('options', () => {
  it.each([
    ['dpop: true', { dpop: true }, /"dpop"/],
    ['an unknown dpop option', { dpop: { requried: true } }, /dpop\.requried/],
    ['a non-boolean required', { dpop: { required: 'yes' } }, /dpop\.required/],
    ['an unknown algorithm', { dpop: { algorithms: ['HS256'] } }, /dpop\.algorithms/],
    ['a zero maxProofAge', { dpop: { maxProofAge: 0 } }, /dpop\.maxProofAge/],
    ['a replay store without markUsed', { dpop: { replay: {} } }, /dpop\.replay/],
    ['a short nonce secret', { dpop: { nonce: { secret: 'short' } } }, /dpop\.nonce\.secret/],
    [
      'a nonce lifetime of 1 s',
      { dpop: { nonce: { secret: SECRET, lifetime: 1 } } },
      /dpop\.nonce\.lifetime/,
    ],
    ['an origin with a path', { dpop: { origin: 'https://api.example/v1' } }, /dpop\.origin/],
    ['an origin that is not http(s)', { dpop: { origin: 'ftp://api.example' } }, /dpop\.origin/],
    ['a non-function getCertificate', { mtls: { getCertificate: 'x' } }, /mtls\.getCertificate/],
  ])('refuses %s at start-up', (_name, options, message) => {
    expect(() =>
      createVerifier({ issuer: 'https://id.example/', audience: AUD, ...(options as object) }),
    ).toThrow(message);
  });
});

describe('certificate-bound tokens (RFC 8705)', () => {
  let pem: string;
  let otherPem: string;
  let certs: { remove(): void } | undefined;
  beforeAll(() => {
    const made = makeCertificates(['client', 'other'] as const);
    certs = made;
    pem = made.client.cert;
    otherPem = made.other.cert;
  });
  afterAll(() => certs?.remove());
  const thumbprint = (p: string) =>
    createHash('sha256').update(new X509Certificate(p).raw).digest('base64url');

  it('passes only with the certificate the token names, whether mtls is configured or not', async () => {
    const token = await issuer.sign({}, { boundTo: { 'x5t#S256': thumbprint(pem) } });
    const plain = make(false);
    await expect(run(plain, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
      status: 401,
      code: 'ERR_CERTIFICATE_MISMATCH',
    });
    let presented: string | undefined = pem;
    const v = make(false, { mtls: { getCertificate: () => presented } });
    await expect(run(v, request(token, { scheme: 'Bearer' }))).resolves.toMatchObject({
      confirmation: { 'x5t#S256': thumbprint(pem) },
    });
    presented = otherPem;
    await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
      code: 'ERR_CERTIFICATE_MISMATCH',
    });
    presented = 'not a certificate';
    await expect(run(v, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
      code: 'ERR_CERTIFICATE_MISMATCH',
    });
    const der = new X509Certificate(pem).raw;
    const fromDer = make(false, { mtls: { getCertificate: async () => der } });
    await expect(run(fromDer, request(token, { scheme: 'Bearer' }))).resolves.toMatchObject({
      scheme: 'Bearer',
    });
    const throwing = make(false, {
      mtls: {
        getCertificate: () => {
          throw new Error('boom');
        },
      },
    });
    await expect(run(throwing, request(token, { scheme: 'Bearer' }))).rejects.toMatchObject({
      status: 503,
    });
  });
});
