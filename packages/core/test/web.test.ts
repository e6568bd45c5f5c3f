/**
 * Web-standard requests and responses in the core, on Node: a Fetch API
 * `Request` authenticated as it is, `errorToResponse`, `jwks.preload`, and
 * the `waitUntil` adapter hook. (The Web path itself, without node:crypto,
 * runs for real on workerd: test/runtimes.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { createVerifier, errorToResponse, isJwksAuthError } from '@jwks-auth/core';
import type { Verifier, VerifierOptions } from '@jwks-auth/core';
import { webRequestLike } from '@jwks-auth/core/adapter';

const AUD = 'https://api.example.test';
let issuer: TestIssuer;
const verifiers: Verifier<never>[] = [];

function make<O = never>(
  options: Partial<VerifierOptions> = {},
  hooks: Parameters<typeof createVerifier<O>>[1] = {},
): Verifier<O> {
  const v = createVerifier<O>(
    {
      issuer: issuer.issuer,
      audience: AUD,
      allowInsecureHttp: true,
      ...options,
    } as VerifierOptions<O>,
    hooks,
  );
  verifiers.push(v as Verifier<never>);
  return v;
}

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (isJwksAuthError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  await issuer.close();
});

describe('a Fetch API Request', () => {
  it('is authenticated from its headers, cache hits included', async () => {
    const v = make();
    const token = await issuer.sign({ sub: 'web' });
    const request = () =>
      new Request('https://api.example.test/me', { headers: { authorization: `Bearer ${token}` } });
    expect((await v.authenticate(request()))?.payload.sub).toBe('web');
    // The second call is a cache hit, answered synchronously.
    const again = v.handle(request());
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { payload: { sub: string } }).payload.sub).toBe('web');
  });

  it('refuses repeated Authorization headers (joined with ", " by Headers) with 400', async () => {
    const v = make();
    const token = await issuer.sign();
    await v.authenticate(
      new Request('https://a.test/', { headers: { authorization: `Bearer ${token}` } }),
    );
    const headers = new Headers();
    headers.append('authorization', `Bearer ${token}`);
    headers.append('authorization', `Bearer ${token}`);
    const error = await rejection(v.authenticate(new Request('https://a.test/', { headers })));
    expect(error.status).toBe(400);
    expect(error.error).toBe('invalid_request');
    expect(error.message).toBe('more than one Authorization header');
  });

  it('answers 401 without a token, with the challenge', async () => {
    const error = await rejection(make().authenticate(new Request('https://a.test/')));
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="api"');
  });

  it('takes the query token from the URL when allowQueryToken is on', async () => {
    const token = await issuer.sign({ sub: 'query' });
    const url = `https://a.test/items?x=1&access_token=${token}`;
    expect(
      (await make({ allowQueryToken: true }).authenticate(new Request(url)))?.payload.sub,
    ).toBe('query');
    expect(await rejection(make().authenticate(new Request(url)))).toMatchObject({ status: 401 });
  });

  it('never reads the body: a form token counts only when the adapter passes the parsed body', async () => {
    const token = await issuer.sign({ sub: 'form' });
    const v = make({ allowBodyToken: true });
    const request = new Request('https://a.test/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}`,
    });
    await expect(v.authenticate(request)).rejects.toMatchObject({ status: 401 });
    expect(request.bodyUsed).toBe(false);
    const parsed = { access_token: token };
    expect((await v.authenticate(webRequestLike(request, parsed)))?.payload.sub).toBe('form');
  });

  it('gives getToken the Request itself', async () => {
    const token = await issuer.sign({ sub: 'custom' });
    const v = make<Request>({
      getToken: (request: Request) => request.headers.get('x-token') ?? undefined,
    } as unknown as Partial<VerifierOptions>);
    const request = new Request('https://a.test/', { headers: { 'x-token': token } });
    expect((await v.authenticate(request, request))?.payload.sub).toBe('custom');
  });
});

describe('errorToResponse', () => {
  it('writes status, WWW-Authenticate and the RFC 6750 body', async () => {
    const expired = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    const error = await rejection(make().verify(expired));
    const response = errorToResponse(error)!;
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    );
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the token has expired',
    });
  });

  it('carries Retry-After on a 503, and leaves other errors alone', async () => {
    const down = await createTestIssuer();
    await down.fail({ type: 'status', status: 500 });
    try {
      const v = make({ issuer: down.issuer });
      const error = await rejection(v.verify(await down.sign()));
      const response = errorToResponse(error)!;
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await response.json()) as { error: string }).error).toBe('temporarily_unavailable');
    } finally {
      await down.close();
    }
    expect(errorToResponse(new Error('x'))).toBeUndefined();
  });
});

describe('jwks.preload', () => {
  it('verifies the first token without waiting for a fetch, then replaces the keys in the background', async () => {
    const own = await createTestIssuer();
    try {
      await own.fail({ type: 'status', status: 503 }, { only: 'jwks' });
      const v = make({
        issuer: own.issuer,
        jwks: { preload: own.jwks(), cooldownDuration: 100, backoffInitial: 10, backoffMax: 10 },
      });
      const token = await own.sign({ sub: 'first' });
      expect((await v.verify(token)).payload.sub).toBe('first');
      // That first use started the fetch that replaces the preloaded keys.
      await own.waitForRequests('jwks', 1);
      await own.heal();
      await own.rotate();
      await new Promise((resolve) => setTimeout(resolve, 150)); // past the cooldown
      // A key the preload never had: found by the fetch, as usual.
      expect((await v.verify(await own.sign({ sub: 'rotated' }))).payload.sub).toBe('rotated');
    } finally {
      await own.close();
    }
  });

  it('is validated when the verifier is created', () => {
    const bad = (preload: unknown) => () => make({ jwks: { preload } as never });
    expect(bad([])).toThrow(TypeError);
    expect(bad({ keys: 'x' })).toThrow(/jwks\.preload/);
    expect(bad({ keys: [{ kty: 'oct', k: 'AAAA' }] })).toThrow(/lists no usable key/);
    expect(() =>
      make({ issuer: [issuer.issuer, 'https://other.test/'], jwks: { preload: issuer.jwks() } }),
    ).toThrow(/single issuer/);
  });
});

describe('the waitUntil adapter hook', () => {
  it('receives the key set request a call starts, once', async () => {
    const handed: Promise<unknown>[] = [];
    const v = make<{ waitUntil: (p: Promise<unknown>) => void }>(
      {},
      { waitUntil: (call) => call.waitUntil },
    );
    const call = { waitUntil: (p: Promise<unknown>) => void handed.push(p) };
    const token = await issuer.sign();
    const request = { headers: { authorization: `Bearer ${token}` } };
    await v.authenticate(request, call);
    expect(handed).toHaveLength(1);
    await handed[0];
    await v.authenticate(request, call);
    expect(handed).toHaveLength(1);
  });
});
