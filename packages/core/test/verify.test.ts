import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, generateKeyPair } from 'jose';
import { createTestIssuer, createKeySetServer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { createVerifier } from '@jwks-auth/core';
import type { JwksAuthEvent, VerifierOptions, Verifier } from '@jwks-auth/core';

const AUD = 'https://api.example.test';
let issuer: TestIssuer;
const verifiers: Verifier[] = [];

function make(options: Partial<VerifierOptions> = {}): Verifier {
  const v = createVerifier({ issuer: issuer.issuer, audience: AUD, ...options } as VerifierOptions);
  verifiers.push(v);
  return v;
}

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] });
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  await issuer.close();
});

describe.each(['node', 'jose'] as const)('verify with the %s engine', (engine) => {
  const mk = (options: Partial<VerifierOptions> = {}) => make({ engine, ...options });

  it.each(['RS256', 'ES256', 'PS256', 'EdDSA'] as const)(
    'accepts a valid %s token',
    async (alg) => {
      const token = await issuer.sign({ sub: 'alice' }, { alg });
      const result = await mk().verify(token);
      expect(result.payload.sub).toBe('alice');
      expect(result.header.alg).toBe(alg);
      expect(result.token).toBe(token);
      expect(Object.isFrozen(result.payload)).toBe(true);
    },
  );

  it('rejects an issuer other than the configured one', async () => {
    const token = await issuer.sign({ iss: 'https://evil.example' });
    await expect(mk().verify(token)).rejects.toMatchObject({
      code: 'ERR_ISSUER_INVALID',
      status: 401,
      error: 'invalid_token',
    });
  });

  it('rejects a wrong audience and accepts any overlap', async () => {
    const token = await issuer.sign({ aud: ['https://other', AUD] });
    await expect(mk({ audience: 'https://nope' }).verify(token)).rejects.toMatchObject({
      code: 'ERR_AUDIENCE_INVALID',
    });
    await expect(mk({ audience: ['https://x', AUD] }).verify(token)).resolves.toBeDefined();
  });

  it('skips the audience check only with an explicit null', async () => {
    const token = await issuer.sign({ aud: 'https://anything' });
    await expect(mk({ audience: null }).verify(token)).resolves.toBeDefined();
    expect(() => createVerifier({ issuer: issuer.issuer } as VerifierOptions)).toThrow(
      /"audience" option is required/,
    );
  });

  it('rejects an algorithm outside `algorithms`', async () => {
    const token = await issuer.sign({}, { alg: 'ES256' });
    await expect(mk({ algorithms: ['RS256'] }).verify(token)).rejects.toMatchObject({
      code: 'ERR_ALG_NOT_ALLOWED',
    });
  });

  it('applies clockTolerance to exp (default 5 s)', async () => {
    const token = await issuer.sign({ exp: now() - 2 });
    await expect(mk().verify(token)).resolves.toBeDefined();
    await expect(mk({ clockTolerance: 0 }).verify(token)).rejects.toMatchObject({
      code: 'ERR_TOKEN_EXPIRED',
      error_description: 'the token has expired',
    });
  });

  it('rejects a token that is not yet valid', async () => {
    const token = await issuer.sign({ nbf: now() + 60 });
    await expect(mk().verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_NOT_YET_VALID' });
  });

  it('enforces maxTokenAge from iat', async () => {
    const token = await issuer.sign({ iat: now() - 100 });
    await expect(mk({ maxTokenAge: 60 }).verify(token)).rejects.toMatchObject({
      code: 'ERR_TOKEN_TOO_OLD',
    });
    await expect(mk({ maxTokenAge: 600 }).verify(token)).resolves.toBeDefined();
  });

  it('always requires exp, plus requiredClaims', async () => {
    const noExp = await issuer.sign({}, { expiresIn: null });
    await expect(mk().verify(noExp)).rejects.toMatchObject({
      code: 'ERR_CLAIM_INVALID',
      error_description: 'the exp claim is missing',
    });
    const noTenant = await issuer.sign({});
    await expect(mk({ requiredClaims: ['tenant'] }).verify(noTenant)).rejects.toMatchObject({
      code: 'ERR_CLAIM_INVALID',
    });
  });

  it('checks typ when asked', async () => {
    const token = await issuer.sign({}, { typ: 'JWT' });
    await expect(mk().verify(token)).resolves.toBeDefined();
    await expect(mk({ typ: 'at+jwt' }).verify(token)).rejects.toMatchObject({
      code: 'ERR_TYP_INVALID',
    });
  });

  it('strict demands the RFC 9068 profile', async () => {
    const good = await issuer.sign({});
    await expect(mk({ strict: true }).verify(good)).resolves.toBeDefined();
    const idToken = await issuer.sign({}, { typ: 'JWT' });
    await expect(mk({ strict: true }).verify(idToken)).rejects.toMatchObject({
      code: 'ERR_TYP_INVALID',
    });
    for (const claim of ['sub', 'client_id', 'jti', 'iat']) {
      const token = await issuer.sign({ [claim]: undefined });
      await expect(mk({ strict: true }).verify(token)).rejects.toMatchObject({
        code: 'ERR_CLAIM_INVALID',
      });
      await expect(mk().verify(token)).resolves.toBeDefined();
    }
  });

  it('rejects a bad signature', async () => {
    const token = await issuer.sign({});
    const [h, p] = token.split('.');
    const other = await issuer.sign({ sub: 'someone-else' });
    const forged = `${h}.${p}.${other.split('.')[2]}`;
    await expect(mk().verify(forged)).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
  });

  it('rejects a kid that is not in the key set', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ iss: issuer.issuer, aud: AUD, exp: now() + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: 'stranger' })
      .sign(privateKey);
    await expect(mk().verify(token)).rejects.toMatchObject({
      code: 'ERR_KEY_NOT_FOUND',
      status: 401,
    });
  });

  it('refuses malformed, non-JWT and JWE-shaped tokens as invalid_token', async () => {
    const v = mk();
    for (const bad of ['abc', 'a.b', 'a.b.c.d', '..', 'e30.e30.', 'e30.e30.e30']) {
      await expect(v.verify(bad)).rejects.toMatchObject({ status: 401, error: 'invalid_token' });
    }
    await expect(v.verify('a.b.c.d.e')).rejects.toMatchObject({ code: 'ERR_TOKEN_ENCRYPTED' });
  });

  it('refuses tokens longer than maxTokenLength before parsing', async () => {
    const v = mk({ maxTokenLength: 100 });
    await expect(v.verify('x'.repeat(101))).rejects.toMatchObject({ code: 'ERR_TOKEN_TOO_LARGE' });
    await expect(v.verify('x'.repeat(100))).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
  });

  it('never fetches jku, x5u or an embedded jwk', async () => {
    const attacker = await createKeySetServer({ keys: [] });
    try {
      const token = await issuer.sign(
        {},
        { header: { jku: attacker.url, x5u: attacker.url, kid: 'nope' } },
      );
      await expect(mk().verify(token)).rejects.toMatchObject({ status: 401 });
      expect(attacker.requests).toBe(0);
    } finally {
      await attacker.close();
    }
  });

  it('runs isRevoked after verification, and fails closed when it throws', async () => {
    const token = await issuer.sign({ jti: 'revoked-1' });
    const seen: string[] = [];
    const v = mk({
      isRevoked: (r) => {
        seen.push(String(r.payload.jti));
        return r.payload.jti === 'revoked-1';
      },
    });
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED', status: 401 });
    expect(seen).toEqual(['revoked-1']);
    const broken = mk({
      isRevoked: async () => {
        throw new Error('redis down');
      },
    });
    await expect(broken.verify(token)).rejects.toMatchObject({
      code: 'ERR_HOOK_FAILED',
      status: 503,
    });
  });

  it('reports rejections to onEvent', async () => {
    const events: unknown[] = [];
    const v = mk({ onEvent: (e) => events.push(e) });
    await expect(v.verify('abc')).rejects.toBeDefined();
    expect(events).toContainEqual({
      type: 'token_rejected',
      code: 'ERR_TOKEN_MALFORMED',
      status: 401,
      issuer: undefined,
    });
  });
});

describe('authenticate', () => {
  const req = (authorization?: string, extra: Record<string, unknown> = {}) => ({
    method: 'GET',
    url: '/',
    headers: authorization === undefined ? {} : { authorization },
    ...extra,
  });

  it('answers 401 without an error attribute when no token is sent', async () => {
    await expect(make().authenticate(req())).rejects.toMatchObject({
      code: 'ERR_NO_TOKEN',
      status: 401,
      error: undefined,
      headers: { 'WWW-Authenticate': 'Bearer realm="api"' },
    });
    await expect(make({ realm: 'orders' }).authenticate(req())).rejects.toMatchObject({
      headers: { 'WWW-Authenticate': 'Bearer realm="orders"' },
    });
  });

  it('matches the Bearer scheme case-insensitively', async () => {
    const token = await issuer.sign({});
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      await expect(make().authenticate(req(`${scheme} ${token}`))).resolves.toMatchObject({
        token,
      });
    }
  });

  it('treats anything else in Authorization as a malformed request (400)', async () => {
    const v = make();
    for (const value of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer ',
      'Bearertoken',
      'Bearer a b',
      'Bearer a"b',
      'Token abc',
    ]) {
      await expect(v.authenticate(req(value))).rejects.toMatchObject({
        status: 400,
        error: 'invalid_request',
      });
    }
  });

  it('passes unauthenticated when credentialsRequired is false, but still rejects bad tokens', async () => {
    const v = make({ credentialsRequired: false });
    await expect(v.authenticate(req())).resolves.toBeUndefined();
    await expect(v.authenticate(req('Bearer abc'))).rejects.toMatchObject({ status: 401 });
  });

  it('reads the query token only when allowed, and refuses two places at once', async () => {
    const token = await issuer.sign({});
    const query = { query: { access_token: token } };
    await expect(make().authenticate(req(undefined, query))).rejects.toMatchObject({
      code: 'ERR_NO_TOKEN',
    });
    const v = make({ allowQueryToken: true });
    await expect(v.authenticate(req(undefined, query))).resolves.toMatchObject({ token });
    await expect(
      v.authenticate(req(undefined, { url: `/x?access_token=${token}` })),
    ).resolves.toMatchObject({ token });
    await expect(v.authenticate(req(`Bearer ${token}`, query))).rejects.toMatchObject({
      status: 400,
      error: 'invalid_request',
    });
    await expect(
      v.authenticate(req(undefined, { query: { access_token: [token, token] } })),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('reads a form-encoded body token only when allowed', async () => {
    const token = await issuer.sign({});
    const form = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: { access_token: token },
    };
    await expect(make().authenticate(form)).rejects.toMatchObject({ code: 'ERR_NO_TOKEN' });
    await expect(make({ allowBodyToken: true }).authenticate(form)).resolves.toMatchObject({
      token,
    });
    const json = { ...form, headers: { 'content-type': 'application/json' } };
    await expect(make({ allowBodyToken: true }).authenticate(json)).rejects.toMatchObject({
      code: 'ERR_NO_TOKEN',
    });
  });

  it('uses getToken when given, and maps its failures to invalid_request', async () => {
    const token = await issuer.sign({});
    const v = make({
      getToken: (r) => {
        const cookie = String(r.headers.cookie ?? '');
        return /(?:^|; )at=([^;]+)/.exec(cookie)?.[1];
      },
    });
    await expect(
      v.authenticate(req(undefined, { headers: { cookie: `at=${token}` } })),
    ).resolves.toMatchObject({ token });
    const throwing = make({
      getToken: () => {
        throw new Error('bad cookie');
      },
    });
    await expect(throwing.authenticate(req())).rejects.toMatchObject({ status: 400 });
  });

  it('answers synchronously from the cache through handle()', async () => {
    const token = await issuer.sign({});
    const v = make();
    const first = v.handle(req(`Bearer ${token}`));
    expect(first).toBeInstanceOf(Promise);
    const result = await first;
    expect(v.handle(req(`Bearer ${token}`))).toBe(result);
  });
});

describe('several issuers', () => {
  let second: TestIssuer;
  beforeAll(async () => {
    second = await createTestIssuer({ path: '/tenant-b' });
  });
  afterAll(async () => {
    await second.close();
  });

  it("uses each token's own issuer key set", async () => {
    const v = make({ issuer: [issuer.issuer, { issuer: second.issuer, jwksUri: second.jwksUri }] });
    await expect(v.verify(await second.sign({}))).resolves.toBeDefined();
    await expect(v.verify(await issuer.sign({}))).resolves.toBeDefined();
  });

  it('rejects an unlisted issuer without any network request', async () => {
    const v = make({ issuer: [issuer.issuer, second.issuer] });
    issuer.resetCounts();
    second.resetCounts();
    const token = await issuer.sign({ iss: 'https://unlisted.example' });
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_ISSUER_INVALID' });
    expect(issuer.requests.total + second.requests.total).toBe(0);
  });

  it("refuses a token signed by A that claims B's iss", async () => {
    const v = make({ issuer: [issuer.issuer, second.issuer] });
    const token = await issuer.sign({ iss: second.issuer });
    await expect(v.verify(token)).rejects.toMatchObject({ status: 401, error: 'invalid_token' });
  });
  it('names the selected issuer in token_rejected events (and none before one is selected)', async () => {
    const events: JwksAuthEvent[] = [];
    const v = make({
      issuer: [issuer.issuer, { issuer: second.issuer, jwksUri: second.jwksUri }],
      onEvent: (e) => events.push(e),
    });
    const forged = await issuer.sign({ iss: second.issuer });
    await expect(v.verify(forged)).rejects.toMatchObject({ status: 401 });
    await expect(v.verify('not-a-jwt')).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
    const rejected = events.filter((e) => e.type === 'token_rejected');
    expect(rejected.map((e) => e.issuer)).toEqual([second.issuer, undefined]);
  });
});
