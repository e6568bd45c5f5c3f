import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { get as httpGet } from 'node:http';
import type { JsonWebKey } from 'node:crypto';
import {
  base64url,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
} from 'jose';
import {
  DEFAULT_OVERSIZED_BYTES,
  TEST_ALGS,
  createKeySetServer,
  createTestIssuer,
} from '../src/index.js';
import type { TestIssuer, TestIssuerOptions } from '../src/index.js';

const AUDIENCE = 'https://api.example.test';

const open: TestIssuer[] = [];

/** An issuer closed after the test; ES256 by default because RSA keygen is slow. */
async function issuerFor(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ algorithms: ['ES256'], ...options });
  open.push(issuer);
  return issuer;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});

function verifyAgainst(issuer: TestIssuer, token: string) {
  // A fresh remote set each time: jose caches and rate-limits refetches.
  return jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
    issuer: issuer.issuer,
    audience: AUDIENCE,
  });
}

/**
 * The error code of a request on a brand-new connection. fetch() would reuse a
 * pooled keep-alive socket, whose failure is a socket error rather than the
 * ECONNREFUSED a fresh connect gets.
 */
function connectErrorCode(url: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      res.resume();
      reject(new Error(`GET ${url} unexpectedly answered ${res.statusCode}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('signing', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: [...TEST_ALGS] });
  });
  afterAll(() => issuer.close());

  it('holds one published key per configured algorithm', () => {
    expect(issuer.keys.map((k) => k.alg)).toEqual(TEST_ALGS);
    expect(new Set(issuer.keys.map((k) => k.kid)).size).toBe(TEST_ALGS.length);
    for (const key of issuer.keys) {
      expect(key.kid).toMatch(new RegExp(`^${key.alg.toLowerCase()}-1-[0-9a-f]{8}$`));
      expect(key.inJwks).toBe(true);
    }
  });

  it.each(TEST_ALGS)('%s tokens verify against the served JWKS', async (alg) => {
    const token = await issuer.sign({}, { alg });
    const { payload, protectedHeader } = await verifyAgainst(issuer, token);
    const key = issuer.keys.find((k) => k.alg === alg);
    expect(protectedHeader).toEqual({ alg, kid: key?.kid, typ: 'at+jwt' });
    expect(payload.iss).toBe(issuer.issuer);
  });

  it('publishes EdDSA and Ed25519 keys as OKP Ed25519', () => {
    for (const alg of ['EdDSA', 'Ed25519'] as const) {
      const jwk = issuer.keys.find((k) => k.alg === alg)?.publicJwk;
      expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg, use: 'sig' });
      expect(jwk).not.toHaveProperty('d');
    }
  });

  it('defaults to the first configured algorithm', async () => {
    expect(decodeProtectedHeader(await issuer.sign()).alg).toBe('RS256');
  });
});

describe('claims and headers', () => {
  it('merges default claims under the given ones', async () => {
    const issuer = await issuerFor();
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await issuer.sign({ sub: 'alice', extra: [1] }));
    expect(claims).toEqual({
      iss: issuer.issuer,
      sub: 'alice',
      aud: AUDIENCE,
      iat: expect.any(Number),
      exp: (claims.iat ?? 0) + 300,
      jti: expect.any(String),
      client_id: 'test-client',
      scope: 'read:messages',
      extra: [1],
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(decodeJwt(await issuer.sign()).jti).not.toBe(claims.jti);
  });

  it('supports expiresIn, explicit exp, null exp, noIat and dropping claims', async () => {
    const issuer = await issuerFor();
    const short = decodeJwt(await issuer.sign({}, { expiresIn: 5 }));
    expect(short.exp).toBe((short.iat ?? 0) + 5);
    expect(decodeJwt(await issuer.sign({ exp: 42 }, { expiresIn: 5 })).exp).toBe(42);
    expect(decodeJwt(await issuer.sign({}, { expiresIn: null }))).not.toHaveProperty('exp');
    expect(decodeJwt(await issuer.sign({}, { noIat: true }))).not.toHaveProperty('iat');
    expect(decodeJwt(await issuer.sign({ aud: undefined, scope: undefined }))).not.toHaveProperty(
      'aud',
    );
  });

  it('signs expired tokens that real verifiers reject', async () => {
    const issuer = await issuerFor();
    const token = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    await expect(verifyAgainst(issuer, token)).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('merges typ and extra protected header parameters', async () => {
    const issuer = await issuerFor();
    const keySet = await createKeySetServer();
    try {
      const token = await issuer.sign({}, { typ: 'JWT', header: { jku: keySet.url, x: 1 } });
      expect(decodeProtectedHeader(token)).toEqual({
        alg: 'ES256',
        kid: issuer.keys[0]?.kid,
        typ: 'JWT',
        jku: keySet.url,
        x: 1,
      });
      const noKid = await issuer.sign({}, { header: { kid: undefined } });
      expect(decodeProtectedHeader(noKid)).not.toHaveProperty('kid');
      const crit = await issuer.sign({}, { header: { crit: ['exp-ext'], 'exp-ext': true } });
      expect(decodeProtectedHeader(crit).crit).toEqual(['exp-ext']);
      // The JWS is genuine; only an unknown critical extension makes jose refuse it.
      await expect(verifyAgainst(issuer, crit)).rejects.toBeInstanceOf(errors.JOSENotSupported);
      await expect(verifyAgainst(issuer, token)).resolves.toBeDefined();
      expect(keySet.requests).toBe(0);
    } finally {
      await keySet.close();
    }
  });

  it('rejects unknown kids, missing algs and mismatched kid/alg', async () => {
    const issuer = await issuerFor();
    await expect(issuer.sign({}, { kid: 'nope' })).rejects.toThrow(/No key with kid/);
    await expect(issuer.sign({}, { alg: 'RS256' })).rejects.toThrow(/addKey\('RS256'\)/);
    const kid = issuer.keys[0]?.kid ?? '';
    await expect(issuer.sign({}, { kid, alg: 'ES384' })).rejects.toThrow(/is ES256/);
  });

  it('validates issuer options', async () => {
    await expect(createTestIssuer({ algorithms: ['HS256' as never] })).rejects.toThrow(
      /Unsupported algorithm/,
    );
    await expect(createTestIssuer({ discovery: 'x' as never })).rejects.toThrow(/discovery mode/);
  });
});

describe('JWKS', () => {
  it('serves published public keys as JSON with optional Cache-Control', async () => {
    const issuer = await issuerFor({ algorithms: ['RS256'], cacheControl: 'max-age=60' });
    const res = await fetch(issuer.jwksUri);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('max-age=60');
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body).toEqual(issuer.jwks());
    expect(body.keys).toEqual([
      {
        ...issuer.keys[0]?.publicJwk,
        kty: 'RSA',
        kid: issuer.keys[0]?.kid,
        alg: 'RS256',
        use: 'sig',
      },
    ]);
    expect(body.keys[0]).not.toHaveProperty('d');

    // No options at all: one RS256 key, 2048-bit, no Cache-Control.
    const plain = await createTestIssuer();
    open.push(plain);
    expect(plain.keys.map((k) => k.alg)).toEqual(['RS256']);
    expect(Buffer.from(String(plain.keys[0]?.publicJwk.n), 'base64url')).toHaveLength(256);
    expect((await fetch(plain.jwksUri)).headers.get('cache-control')).toBeNull();
  });

  it('adds keys with custom kid, use, alg presence, visibility and overrides', async () => {
    const issuer = await issuerFor({ algorithms: ['RS256'] });
    const enc = await issuer.addKey('RS256', { kid: 'enc-key', use: 'enc' });
    const noAlg = await issuer.addKey('ES256', { includeAlg: false });
    const hidden = await issuer.addKey('ES384', { inJwks: false });
    const weird = await issuer.addKey('ES256', { jwkOverrides: { crv: 'P-384', use: undefined } });
    expect(enc.publicJwk).toMatchObject({ kid: 'enc-key', use: 'enc', alg: 'RS256' });
    expect(noAlg.publicJwk).not.toHaveProperty('alg');
    expect(weird.publicJwk).toMatchObject({ crv: 'P-384' });
    expect(weird.publicJwk).not.toHaveProperty('use');
    const { body } = await getJson(issuer.jwksUri);
    expect((body.keys as { kid: string }[]).map((k) => k.kid)).toEqual([
      issuer.keys[0]?.kid,
      'enc-key',
      noAlg.kid,
      weird.kid,
    ]);
    expect(hidden.inJwks).toBe(false);
    await expect(issuer.addKey('RS256', { kid: 'enc-key' })).rejects.toThrow(/Duplicate kid/);

    // addKey only becomes current for an alg that had none.
    expect(decodeProtectedHeader(await issuer.sign()).kid).toBe(issuer.keys[0]?.kid);
    expect(decodeProtectedHeader(await issuer.sign({}, { alg: 'ES256' })).kid).toBe(noAlg.kid);
  });

  it('rotates: the new key signs and the old one leaves the JWKS unless keepOld', async () => {
    const issuer = await issuerFor({ algorithms: ['RS256'] });
    const first = issuer.keys[0];
    const oldToken = await issuer.sign();
    const second = await issuer.rotate();
    expect(second.kid).toMatch(/^rs256-2-/);
    expect(first?.inJwks).toBe(false);
    const newToken = await issuer.sign();
    expect(decodeProtectedHeader(newToken).kid).toBe(second.kid);
    await expect(verifyAgainst(issuer, newToken)).resolves.toBeDefined();
    await expect(verifyAgainst(issuer, oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);

    const third = await issuer.rotate('RS256', { keepOld: true });
    expect(issuer.jwks().keys.map((k) => k.kid)).toEqual([second.kid, third.kid]);
    await expect(verifyAgainst(issuer, newToken)).resolves.toBeDefined();

    const es = await issuer.rotate('ES256');
    expect(decodeProtectedHeader(await issuer.sign({}, { alg: 'ES256' })).kid).toBe(es.kid);
  });

  it('removeKey unpublishes a key that can still sign', async () => {
    const issuer = await issuerFor();
    const kid = issuer.keys[0]?.kid ?? '';
    issuer.removeKey(kid);
    expect(issuer.keys[0]?.inJwks).toBe(false);
    expect((await getJson(issuer.jwksUri)).body).toEqual({ keys: [] });
    const token = await issuer.sign({}, { kid });
    expect(decodeProtectedHeader(token).kid).toBe(kid);
    await expect(verifyAgainst(issuer, token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(() => issuer.removeKey('unknown')).toThrow(/No key with kid/);
  });

  it('serves an exact override body until resetJwks', async () => {
    const issuer = await issuerFor();
    const body: { keys: unknown[] } = { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }, 42] };
    issuer.setJwksKeys(body);
    body.keys.push('mutated later');
    expect((await getJson(issuer.jwksUri)).body).toEqual({
      keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }, 42],
    });
    issuer.resetJwks();
    expect((await getJson(issuer.jwksUri)).body).toEqual(issuer.jwks());
  });

  it('makes sub-2048-bit RSA keys that sign correctly but jose refuses', async () => {
    const issuer = await issuerFor({ algorithms: ['RS256', 'PS256'], rsaModulusLength: 1024 });
    for (const alg of ['RS256', 'PS256'] as const) {
      const token = await issuer.sign({}, { alg });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const jwk = issuer.keys.find((k) => k.alg === alg)?.publicJwk as JsonWebKey;
      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
      const ok = nodeVerify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        alg === 'PS256' ? { key: publicKey, padding: 6, saltLength: 32 } : publicKey,
        base64url.decode(signature),
      );
      expect(ok).toBe(true);
      await expect(verifyAgainst(issuer, token)).rejects.toThrow(/2048/);
    }
  });
});

describe('discovery', () => {
  it('serves OIDC and RFC 8414 documents at the root issuer', async () => {
    const issuer = await issuerFor({ algorithms: ['ES256', 'RS256'] });
    expect(issuer.issuer).toBe(issuer.url);
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(issuer.discoveryUrl).toBe(`${issuer.url}/.well-known/openid-configuration`);
    const oidc = await getJson(issuer.discoveryUrl);
    expect(oidc.status).toBe(200);
    expect(oidc.body).toMatchObject({
      issuer: issuer.issuer,
      jwks_uri: issuer.jwksUri,
      token_endpoint: `${issuer.issuer}/token`,
      id_token_signing_alg_values_supported: ['ES256', 'RS256'],
      subject_types_supported: ['public'],
    });
    const oauth = await getJson(`${issuer.url}/.well-known/oauth-authorization-server`);
    expect(oauth.body).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
    expect((await fetch(`${issuer.url}/nothing`)).status).toBe(404);
  });

  it('places everything under the path option', async () => {
    const issuer = await issuerFor({ path: 'tenant-a/' });
    expect(issuer.issuer).toBe(`${issuer.url}/tenant-a`);
    expect(issuer.jwksUri).toBe(`${issuer.url}/tenant-a/jwks`);
    expect(issuer.discoveryUrl).toBe(`${issuer.url}/tenant-a/.well-known/openid-configuration`);
    expect(issuer.oauthMetadataUrl).toBe(
      `${issuer.url}/.well-known/oauth-authorization-server/tenant-a`,
    );
    expect((await getJson(issuer.discoveryUrl)).body.issuer).toBe(issuer.issuer);
    expect((await getJson(issuer.oauthMetadataUrl)).body.jwks_uri).toBe(issuer.jwksUri);
    expect((await fetch(`${issuer.url}/jwks`)).status).toBe(404);
    expect((await fetch(`${issuer.url}/.well-known/openid-configuration`)).status).toBe(404);
    await expect(verifyAgainst(issuer, await issuer.sign())).resolves.toBeDefined();
  });

  it.each([
    ['oidc', 200, 404],
    ['oauth', 404, 200],
    ['none', 404, 404],
  ] as const)('discovery %s serves oidc=%d oauth=%d', async (discovery, oidc, oauth) => {
    const issuer = await issuerFor({ discovery });
    expect((await fetch(issuer.discoveryUrl)).status).toBe(oidc);
    expect((await fetch(issuer.oauthMetadataUrl)).status).toBe(oauth);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
    expect(issuer.requests).toEqual({ jwks: 1, discovery: 2, token: 0, total: 3 });
  });

  it('can advertise a mismatched issuer', async () => {
    const issuer = await issuerFor({ issuerInDiscovery: 'https://evil.example' });
    expect((await getJson(issuer.discoveryUrl)).body.issuer).toBe('https://evil.example');
    expect((await getJson(issuer.oauthMetadataUrl)).body.issuer).toBe('https://evil.example');
  });
});

describe('request counters', () => {
  it('counts by kind, resets, and waits without polling', async () => {
    const issuer = await issuerFor();
    const counts = issuer.requests;
    await fetch(issuer.jwksUri);
    await fetch(issuer.discoveryUrl);
    await fetch(`${issuer.url}/other?x=1`);
    await fetch(`${issuer.jwksUri}?cache-bust=1`);
    expect(counts).toEqual({ jwks: 2, discovery: 1, token: 0, total: 4 });
    issuer.resetCounts();
    expect(issuer.requests).toEqual({ jwks: 0, discovery: 0, token: 0, total: 0 });

    const waiting = issuer.waitForRequests('jwks', 2);
    await fetch(issuer.jwksUri);
    await fetch(issuer.jwksUri);
    await expect(waiting).resolves.toBeUndefined();
    await expect(issuer.waitForRequests('total', 2)).resolves.toBeUndefined();
    await expect(issuer.waitForRequests('discovery', 1, 50)).rejects.toThrow(/Timed out after 50/);
  });

  it('rejects pending waiters on close', async () => {
    const issuer = await issuerFor();
    const waiting = issuer.waitForRequests('jwks', 1, 60_000);
    await issuer.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});

describe('faults', () => {
  it('refuse closes the port until heal reopens the same one', async () => {
    const issuer = await issuerFor();
    const url = issuer.url;
    await fetch(issuer.jwksUri); // leaves a keep-alive socket that refuse must kill
    await issuer.fail({ type: 'refuse' });
    expect(await connectErrorCode(issuer.jwksUri)).toBe('ECONNREFUSED');
    expect(await connectErrorCode(issuer.discoveryUrl)).toBe('ECONNREFUSED');
    expect(issuer.requests.total).toBe(1);
    await issuer.heal();
    expect(issuer.url).toBe(url);
    await expect(verifyAgainst(issuer, await issuer.sign())).resolves.toBeDefined();
    expect(issuer.requests.jwks).toBe(2);
  });

  it('status fails the chosen endpoints and counts the attempt', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'status', status: 500 }, { only: 'jwks' });
    expect((await fetch(issuer.jwksUri)).status).toBe(500);
    expect((await fetch(issuer.discoveryUrl)).status).toBe(200);
    await expect(verifyAgainst(issuer, await issuer.sign())).rejects.toBeInstanceOf(
      errors.JOSEError,
    );
    await issuer.fail({ type: 'status', status: 404 }, { only: 'discovery' });
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
    expect((await fetch(issuer.discoveryUrl)).status).toBe(404);
    await issuer.fail({ type: 'status', status: 503 });
    expect((await fetch(issuer.oauthMetadataUrl)).status).toBe(503);
    expect(issuer.requests).toEqual({ jwks: 3, discovery: 3, token: 0, total: 6 });
    await issuer.heal();
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
    await expect(issuer.fail({ type: 'status', status: 99 })).rejects.toThrow(RangeError);
  });

  it('slow delays the normal answer', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'slow', delayMs: 300 });
    const started = Date.now();
    const res = await fetch(issuer.jwksUri);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect((await res.json()) as unknown).toEqual(issuer.jwks());
    await issuer.heal();
    const fast = Date.now();
    await fetch(issuer.jwksUri);
    expect(Date.now() - fast).toBeLessThan(200);
  });

  it('hang never answers before the client gives up, then answers on heal', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'hang' });
    await expect(fetch(issuer.jwksUri, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject(
      { name: 'TimeoutError' },
    );
    const pending = fetch(issuer.jwksUri);
    await issuer.waitForRequests('jwks', 2);
    await issuer.heal();
    expect((await pending).status).toBe(200);
  });

  it('garbage answers 200 with a body that is not JSON', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'garbage' });
    const res = await fetch(issuer.jwksUri);
    expect(res.status).toBe(200);
    // Errors from fetch come from Node's realm, not Jest's: match by name.
    await expect(res.json()).rejects.toMatchObject({ name: 'SyntaxError' });
    await expect(verifyAgainst(issuer, await issuer.sign())).rejects.toBeInstanceOf(
      errors.JOSEError,
    );
  });

  it('oversized answers valid JSON of the requested size, 2 MiB by default', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'oversized' });
    const body = await (await fetch(issuer.jwksUri)).text();
    expect(Buffer.byteLength(body)).toBe(DEFAULT_OVERSIZED_BYTES);
    expect(DEFAULT_OVERSIZED_BYTES).toBe(2 * 1024 * 1024);
    expect((JSON.parse(body) as { keys: unknown }).keys).toEqual(issuer.jwks().keys);

    await issuer.fail({ type: 'oversized', bytes: 100_000 }, { only: 'discovery' });
    const doc = await (await fetch(issuer.discoveryUrl)).text();
    expect(Buffer.byteLength(doc)).toBe(100_000);
    expect((JSON.parse(doc) as { issuer: string }).issuer).toBe(issuer.issuer);
  });

  it('empty serves a JWKS without keys', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'empty' });
    expect((await getJson(issuer.jwksUri)).body).toEqual({ keys: [] });
    expect((await getJson(issuer.discoveryUrl)).body).toEqual({});
    await expect(verifyAgainst(issuer, await issuer.sign())).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    );
  });
});

describe('close', () => {
  it('is idempotent and frees the port', async () => {
    const issuer = await issuerFor();
    await fetch(issuer.jwksUri); // an idle keep-alive socket must not delay close
    const first = issuer.close();
    expect(issuer.close()).toBe(first);
    await first;
    await issuer.close();
    expect(await connectErrorCode(issuer.jwksUri)).toBe('ECONNREFUSED');
    await expect(issuer.fail({ type: 'hang' })).rejects.toThrow(/closed/);
    await expect(issuer.heal()).resolves.toBeUndefined();
  });

  it.each([{ type: 'hang' }, { type: 'slow', delayMs: 60_000 }] as const)(
    'cuts off requests held by $type at once',
    async (mode) => {
      const issuer = await issuerFor();
      await issuer.fail(mode);
      const held = fetch(issuer.jwksUri).catch((error: unknown) => error);
      await issuer.waitForRequests('jwks', 1);
      const started = Date.now();
      await issuer.close();
      expect(await held).toMatchObject({ name: 'TypeError' });
      expect(Date.now() - started).toBeLessThan(1000);
    },
  );

  it('closes while refused', async () => {
    const issuer = await issuerFor();
    await issuer.fail({ type: 'refuse' });
    await issuer.close();
    await issuer.heal();
    expect(await connectErrorCode(issuer.jwksUri)).toBe('ECONNREFUSED');
  });
});

describe('createKeySetServer', () => {
  it('serves its body on every path and counts requests', async () => {
    const server = await createKeySetServer({ keys: [{ kty: 'oct', kid: 'attacker' }] });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/jwks$/);
    expect((await getJson(server.url)).body).toEqual({ keys: [{ kty: 'oct', kid: 'attacker' }] });
    const other = await fetch(new URL('/x5u.pem', server.url));
    expect(other.headers.get('content-type')).toBe('application/json');
    expect(server.requests).toBe(2);
    await server.close();
    await server.close();
    expect(await connectErrorCode(server.url)).toBe('ECONNREFUSED');

    const raw = await createKeySetServer('not json');
    expect(await (await fetch(raw.url)).text()).toBe('not json');
    await raw.close();
    const empty = await createKeySetServer();
    expect((await getJson(empty.url)).body).toEqual({ keys: [] });
    await empty.close();
  });
});
