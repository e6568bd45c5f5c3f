import { afterAll, describe, expect, it } from '@jest/globals';
import {
  InsufficientUserAuthenticationError,
  applyChallenge,
  bearerErrorBody,
  createVerifier,
  requiredAuthentication,
} from '@jwks-auth/core';
import type { JwksAuthError, VerifyResult } from '@jwks-auth/core';
import { callbackGuard, routeHelpers } from '@jwks-auth/core/adapter';

const auth = (
  payload: Record<string, unknown>,
  scheme: 'Bearer' | 'DPoP' = 'Bearer',
): VerifyResult => ({
  payload,
  scheme,
  header: { alg: 'RS256' },
  token: 'x.y.z',
});
const verifiers: Array<{ close(): void }> = [];
afterAll(() => {
  for (const v of verifiers) v.close();
});
const now = () => Math.floor(Date.now() / 1000);
const MFA = 'urn:example:mfa';
const PHR = 'phr';

function failure(run: () => unknown): JwksAuthError {
  try {
    run();
  } catch (error) {
    return error as JwksAuthError;
  }
  throw new Error('expected a throw');
}

describe('requiredAuthentication: arguments', () => {
  it.each([
    [undefined, /must be an object/],
    [null, /must be an object/],
    [['urn:x'], /must be an object/],
    [{}, /needs "acrValues", "maxAge" or both/],
    [{ acrValues: undefined, maxAge: undefined }, /needs "acrValues", "maxAge" or both/],
    [{ acrValues: [] }, /"acrValues" option of requiredAuthentication/],
    [{ acrValues: 'urn:x' }, /"acrValues" option/],
    [{ acrValues: [42] }, /"acrValues" option/],
    [{ acrValues: [''] }, /"acrValues" option/],
    [{ acrValues: ['a b'] }, /"acrValues" option/],
    [{ acrValues: ['a"b'] }, /"acrValues" option/],
    [{ maxAge: -1 }, /"maxAge" option of requiredAuthentication must be a non-negative integer/],
    [{ maxAge: 1.5 }, /"maxAge" option/],
    [{ maxAge: Number.NaN }, /"maxAge" option/],
    [{ maxAge: Number.POSITIVE_INFINITY }, /"maxAge" option/],
    [{ maxAge: '300' }, /"maxAge" option/],
    [{ acrValues: [MFA], max_age: 5 }, /"max_age" is not an option of requiredAuthentication/],
  ])('throws a TypeError at creation for %j', (options, message) => {
    expect(() => requiredAuthentication(options as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });
});

describe('requiredAuthentication: acr', () => {
  const check = requiredAuthentication({ acrValues: [MFA, PHR] });

  it('passes a token whose acr is one of the values', () => {
    expect(check(auth({ acr: MFA }))).toBeUndefined();
    expect(check(auth({ acr: PHR }))).toBeUndefined();
  });

  it.each([
    ['missing', {}],
    ['another value', { acr: 'urn:example:pwd' }],
    ['a prefix', { acr: 'urn:example' }],
    ['an array holding a value', { acr: [MFA] }],
    ['a number', { acr: 2 }],
  ])('refuses an acr that is %s with 401 insufficient_user_authentication', (_, payload) => {
    const error = failure(() => check(auth(payload)));
    expect(error).toBeInstanceOf(InsufficientUserAuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      code: 'ERR_INSUFFICIENT_USER_AUTHENTICATION',
      error: 'insufficient_user_authentication',
      acr_values: `${MFA} ${PHR}`,
      max_age: undefined,
    });
    expect(error.headers['WWW-Authenticate']).toBe(
      `Bearer realm="api", error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="${MFA} ${PHR}"`,
    );
    expect(bearerErrorBody(error)).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'a stronger authentication of the user is required',
    });
  });

  it('answers 401 without error when there is no token at all', () => {
    expect(failure(() => check(undefined))).toMatchObject({ status: 401, code: 'ERR_NO_TOKEN' });
    expect(failure(() => check(null))).toMatchObject({ status: 401, code: 'ERR_NO_TOKEN' });
  });
});

describe('requiredAuthentication: maxAge', () => {
  const check = requiredAuthentication({ maxAge: 300 });

  it('passes an authentication at most maxAge seconds old', () => {
    expect(check(auth({ auth_time: now() }))).toBeUndefined();
    expect(check(auth({ auth_time: now() - 290 }))).toBeUndefined();
  });

  it.each([
    ['too old', { auth_time: now() - 400 }],
    ['missing', {}],
    ['a string', { auth_time: String(now()) }],
    ['null', { auth_time: null }],
    ['not finite', { auth_time: Number.POSITIVE_INFINITY }],
    ['in the future beyond the clock skew', { auth_time: now() + 60 }],
    ['far in the future', { auth_time: 9_999_999_999 }],
  ])('refuses an auth_time that is %s, naming max_age', (_, payload) => {
    const error = failure(() => check(auth(payload)));
    expect(error).toMatchObject({
      status: 401,
      error: 'insufficient_user_authentication',
      max_age: 300,
      acr_values: undefined,
    });
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent authentication of the user is required", max_age="300"',
    );
  });

  it('takes maxAge 0 to mean an authentication within this second', () => {
    const fresh = requiredAuthentication({ maxAge: 0 });
    expect(fresh(auth({ auth_time: now() + 1 }))).toBeUndefined();
    expect(failure(() => fresh(auth({ auth_time: now() - 2 }))).max_age).toBe(0);
    expect(failure(() => fresh(auth({ auth_time: now() + 10 }))).max_age).toBe(0);
  });
});

describe('requiredAuthentication: both', () => {
  const check = requiredAuthentication({ acrValues: [MFA], maxAge: 60 });

  it('names every requirement, whichever failed', () => {
    const weak = failure(() => check(auth({ acr: 'pwd', auth_time: now() })));
    const old = failure(() => check(auth({ acr: MFA, auth_time: now() - 120 })));
    for (const error of [weak, old]) {
      expect(error.headers['WWW-Authenticate']).toMatch(
        new RegExp(`, acr_values="${MFA}", max_age="60"$`),
      );
    }
    expect(weak.error_description).toBe('a stronger authentication of the user is required');
    expect(old.error_description).toBe('a more recent authentication of the user is required');
    expect(check(auth({ acr: MFA, auth_time: now() }))).toBeUndefined();
  });

  it("takes the verifier's challenge: realm, scheme and resource_metadata", () => {
    const verifier = createVerifier({
      issuer: 'https://id.example.test/',
      realm: 'mcp',
      dpop: { algorithms: ['ES256'] },
      protectedResource: { resource: 'https://api.example.test/mcp' },
    });
    verifiers.push(verifier);
    const error = failure(() => check(auth({ acr: 'pwd', auth_time: now() }, 'DPoP')));
    error.scheme = 'DPoP';
    expect(applyChallenge(error, verifier.challenge).headers['WWW-Authenticate']).toBe(
      `DPoP algs="ES256", error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="${MFA}", max_age="60", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/mcp"`,
    );
  });
});

describe('requiredAuthentication in the adapter kit', () => {
  it('is one of the route helpers, writing the challenge it is given', () => {
    const verifier = createVerifier({
      issuer: 'https://id.example.test/',
      protectedResource: { resource: 'https://api.example.test' },
    });
    verifiers.push(verifier);
    type Guard = (req: { auth?: VerifyResult }, res: unknown, done: (e?: unknown) => void) => void;
    const helpers = routeHelpers(callbackGuard<Guard>(verifier.challenge));
    const guard = helpers.requiredAuthentication({ maxAge: 10 });
    const seen: unknown[] = [];
    guard({ auth: auth({ auth_time: now() }) }, undefined, (e) => seen.push(e));
    guard({ auth: auth({ auth_time: now() - 60 }) }, undefined, (e) => seen.push(e));
    expect(seen[0]).toBeUndefined();
    expect((seen[1] as JwksAuthError).headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent authentication of the user is required", max_age="10", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"',
    );
    expect(() => helpers.requiredAuthentication({})).toThrow(TypeError);
  });
});
