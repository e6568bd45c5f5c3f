import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { createVerifier } from '@jwks-auth/core';
import type { Verifier, VerifierOptions, VerifyResult } from '@jwks-auth/core';

// A cache hit hands back the very object stored at the first verification;
// a fresh verification builds a new one. That is how these tests see whether
// an entry was served.
const AUD = 'https://api.example.test';
let issuer: TestIssuer;
const verifiers: Verifier[] = [];
const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const now = () => Math.floor(Date.now() / 1000);

function make(options: Partial<VerifierOptions> = {}): Verifier {
  const v = createVerifier({
    issuer: issuer.issuer,
    audience: AUD,
    jwksUri: issuer.jwksUri,
    ...options,
  } as VerifierOptions);
  verifiers.push(v);
  return v;
}

const firstResults = new Map<string, unknown>();

async function verifyFirst(v: Verifier, token: string): Promise<VerifyResult> {
  const result = await v.verify(token);
  firstResults.set(token, result);
  return result;
}

function servedFromCache(v: Verifier, token: string): boolean {
  let outcome: unknown;
  try {
    outcome = v.handle(req(token));
  } catch {
    return false;
  }
  if (outcome instanceof Promise) {
    outcome.catch(() => undefined);
    return false;
  }
  return outcome !== undefined && outcome === firstResults.get(token);
}

function at(epochMs: number): void {
  jest.spyOn(Date, 'now').mockReturnValue(epochMs);
}

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
});
afterEach(() => {
  jest.restoreAllMocks();
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  await issuer.close();
});

describe('verified-token cache', () => {
  it('serves a verified token again without verifying it', async () => {
    const v = make();
    const token = await issuer.sign({});
    const result = await verifyFirst(v, token);
    expect(servedFromCache(v, token)).toBe(true);
    expect(v.handle(req(token))).toBe(result);
    expect(servedFromCache(make({ cache: false }), token)).toBe(false);
  });

  it('never serves another token that ends with the same signature', async () => {
    const v = make();
    const token = await issuer.sign({ sub: 'alice' });
    await verifyFirst(v, token);
    const [header, , signature] = token.split('.');
    const other = await issuer.sign({ sub: 'mallory' });
    const spliced = `${header}.${other.split('.')[1]}.${signature}`;
    expect(servedFromCache(v, spliced)).toBe(false);
    await expect(v.verify(spliced)).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
    // The rejected token did not displace the good one.
    expect(servedFromCache(v, token)).toBe(true);
  });

  it('never serves an entry past exp + clockTolerance', async () => {
    const v = make({ clockTolerance: 5 });
    const exp = now() + 60;
    const token = await issuer.sign({ exp });
    await verifyFirst(v, token);
    at((exp + 5) * 1000 - 1);
    expect(servedFromCache(v, token)).toBe(true);
    at((exp + 5) * 1000);
    expect(servedFromCache(v, token)).toBe(false);
  });

  it('bounds an entry by exp when the token has no iat', async () => {
    const v = make({ clockTolerance: 0 });
    const exp = now() + 30;
    const token = await issuer.sign({ exp }, { noIat: true });
    await verifyFirst(v, token);
    expect(servedFromCache(v, token)).toBe(true);
    at(exp * 1000 + 1);
    expect(servedFromCache(v, token)).toBe(false);
  });

  it('does not serve an entry before nbf - clockTolerance', async () => {
    const v = make({ clockTolerance: 0 });
    const nbf = now() - 1;
    const token = await issuer.sign({ nbf });
    await verifyFirst(v, token);
    expect(servedFromCache(v, token)).toBe(true);
    at(nbf * 1000 - 1000); // the clock went back
    expect(servedFromCache(v, token)).toBe(false);
  });

  it('honours maxTokenAge', async () => {
    const v = make({ maxTokenAge: 30, clockTolerance: 0 });
    const iat = now() - 10;
    const token = await issuer.sign({ iat, exp: iat + 3600 });
    await verifyFirst(v, token);
    at((iat + 30) * 1000 - 1);
    expect(servedFromCache(v, token)).toBe(true);
    at((iat + 30) * 1000 + 1);
    expect(servedFromCache(v, token)).toBe(false);
  });

  it('serves a hit only for one Authorization line and the exact Bearer spelling', async () => {
    const v = make();
    const token = await issuer.sign();
    await verifyFirst(v, token);
    const value = `Bearer ${token}`;
    const twice = {
      headers: { authorization: value },
      rawHeaders: ['Authorization', value, 'authorization', 'Bearer other'],
    };
    expect(() => v.handle(twice)).toThrow(expect.objectContaining({ status: 400 }));
    // Another spelling of the same credentials is still the same verdict (full path).
    const lower = v.handle({ headers: { authorization: `bearer   ${token}` } });
    expect(lower).toBe(firstResults.get(token));
  });

  it('runs isRevoked on every request, hits included', async () => {
    let revoked = false;
    const seen: VerifyResult[] = [];
    const v = make({
      isRevoked: (r) => {
        seen.push(r);
        return revoked;
      },
    });
    const token = await issuer.sign({});
    await verifyFirst(v, token);
    expect(servedFromCache(v, token)).toBe(true);
    revoked = true;
    expect(() => v.handle(req(token))).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_REVOKED' }),
    );
    expect(seen).toHaveLength(3);
  });

  it('drops entries verified with a key that a refresh no longer lists', async () => {
    const local = await createTestIssuer({ algorithms: ['ES256'] });
    try {
      const v = createVerifier({
        issuer: local.issuer,
        audience: AUD,
        jwksUri: local.jwksUri,
        jwks: { cooldownDuration: 100 },
      });
      verifiers.push(v);
      const old = await local.sign({});
      await verifyFirst(v, old);
      expect(servedFromCache(v, old)).toBe(true);
      await local.rotate('ES256');
      await new Promise((r) => setTimeout(r, 110)); // past the cooldown
      await v.verify(await local.sign({})); // unknown kid: refetch, old key gone
      expect(local.requests.jwks).toBe(2);
      expect(servedFromCache(v, old)).toBe(false);
      await expect(v.verify(old)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    } finally {
      await local.close();
    }
  });

  it('does not cache failures', async () => {
    const local = await createTestIssuer({ algorithms: ['ES256'] });
    try {
      const v = createVerifier({
        issuer: local.issuer,
        audience: AUD,
        jwksUri: local.jwksUri,
        jwks: { cooldownDuration: 100 },
      });
      verifiers.push(v);
      const hidden = await local.addKey('ES256', { inJwks: false });
      const token = await local.sign({}, { kid: hidden.kid });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
      local.setJwksKeys({ keys: [...local.jwks().keys, hidden.publicJwk] });
      await new Promise((r) => setTimeout(r, 110)); // past the cooldown
      await expect(v.verify(token)).resolves.toBeDefined();
    } finally {
      await local.close();
    }
  });

  it("never answers for another verifier's options", async () => {
    const token = await issuer.sign({ aud: 'https://a.example' });
    const a = make({ audience: 'https://a.example' });
    const b = make({ audience: 'https://b.example' });
    await verifyFirst(a, token);
    expect(servedFromCache(a, token)).toBe(true);
    await expect(b.verify(token)).rejects.toMatchObject({ code: 'ERR_AUDIENCE_INVALID' });
  });

  it('is bounded by maxEntries and evicts the least recently used', async () => {
    const v = make({ cache: { maxEntries: 4 } });
    const tokens = await Promise.all(Array.from({ length: 5 }, (_, i) => issuer.sign({ n: i })));
    for (const t of tokens.slice(0, 4)) await verifyFirst(v, t);
    // Touch the oldest so it becomes recent; the second oldest is then the victim.
    expect(servedFromCache(v, tokens[0]!)).toBe(true);
    await verifyFirst(v, tokens[4]!);
    expect(servedFromCache(v, tokens[1]!)).toBe(false);
    expect(servedFromCache(v, tokens[0]!)).toBe(true);
    expect(servedFromCache(v, tokens[4]!)).toBe(true);
  });

  it('hands out frozen results so one request cannot alter another', async () => {
    const v = make();
    const token = await issuer.sign({ roles: ['reader'] });
    const result = await verifyFirst(v, token);
    expect(() => {
      (result.payload.roles as string[]).push('admin');
    }).toThrow(TypeError);
  });
});
