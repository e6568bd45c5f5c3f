/** The adapter kit (src/adapter.ts): the glue every adapter shares, tested once. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier, InvalidTokenError, KeySetUnavailableError } from '@jwks-auth/core';
import type { AuthCheck, Verifier } from '@jwks-auth/core';
import {
  authenticateInto,
  authenticateThen,
  errorResponse,
  authenticateRoute,
  challengeOf,
  checkThen,
  requestFor,
  routeHelpers,
  routeRequirement,
  routeSettingError,
  runCheck,
} from '@jwks-auth/core/adapter';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';

const AUD = 'https://api.example.test';
let issuer: TestIssuer;
let verifier: Verifier;

beforeAll(async () => {
  issuer = await createTestIssuer();
  verifier = createVerifier({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: AUD });
});
afterAll(async () => {
  verifier.close();
  await issuer.close();
});

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('authenticateInto / authenticateThen', () => {
  it('stores the result and calls back synchronously on a cache hit', async () => {
    const token = await issuer.sign();
    const first: Record<PropertyKey, unknown> = {};
    await new Promise<void>((resolve, reject) =>
      authenticateInto(verifier, bearer(token), undefined, first, (e) =>
        e === undefined ? resolve() : reject(e as Error),
      ),
    );
    expect(first.auth).toMatchObject({ token });
    const second: Record<PropertyKey, unknown> = {};
    let called = false;
    authenticateInto(verifier, bearer(token), undefined, second, () => {
      called = true;
    });
    expect(called).toBe(true); // no promise on the hot path
    expect(second.auth).toBe(first.auth);
  });

  it('passes failures to the callback, and leaves the target alone', async () => {
    const target: Record<PropertyKey, unknown> = {};
    const error = await new Promise((resolve) =>
      authenticateInto(verifier, bearer('not-a-jwt'), undefined, target, resolve),
    );
    expect(error).toMatchObject({ status: 401, code: 'ERR_TOKEN_MALFORMED' });
    expect(target).toEqual({});
  });

  it('without a token and required false, stores nothing and continues', async () => {
    const target: Record<PropertyKey, unknown> = {};
    const error = await new Promise((resolve) =>
      authenticateInto(verifier, { headers: {} }, undefined, target, resolve, false),
    );
    expect(error).toBeUndefined();
    expect(target).toEqual({});
  });

  it('authenticateThen returns what next returns, and throws on failure', async () => {
    const token = await issuer.sign();
    const state: Record<PropertyKey, unknown> = {};
    // Keys loaded, node engine: answered synchronously, no promise.
    expect(authenticateThen(verifier, bearer(token), undefined, state, () => 'next')).toBe('next');
    expect(state.auth).toMatchObject({ token });
    expect(() => authenticateThen(verifier, { headers: {} }, undefined, state, () => 1)).toThrow(
      expect.objectContaining({ code: 'ERR_NO_TOKEN' }),
    );
  });
});

describe('route checks and helpers', () => {
  it('runCheck reports sync and async outcomes through the callback', async () => {
    const pass: AuthCheck = () => undefined;
    const fail: AuthCheck = () => {
      throw new InvalidTokenError('ERR_CLAIM_INVALID', 'no');
    };
    const later: AuthCheck = () => Promise.reject(new Error('async no'));
    const outcome = (check: AuthCheck) =>
      new Promise((resolve) => runCheck(check, null, undefined, resolve));
    await expect(outcome(pass)).resolves.toBeUndefined();
    await expect(outcome(fail)).resolves.toMatchObject({ code: 'ERR_CLAIM_INVALID' });
    await expect(outcome(later)).resolves.toMatchObject({ message: 'async no' });
  });

  it('routeHelpers builds the five helpers through one toHandler', () => {
    const made: AuthCheck[] = [];
    const helpers = routeHelpers((check) => {
      made.push(check);
      return made.length;
    });
    expect(helpers.requiredScopes('a')).toBe(1);
    expect(helpers.claimEquals('org', 'acme')).toBe(2);
    expect(helpers.claimIncludes('roles', 'admin')).toBe(3);
    expect(helpers.claimCheck(() => true, 'd')).toBe(4);
    expect(helpers.requiredAuthentication({ maxAge: 60 })).toBe(5);
    expect(() => made[0]!(null)).toThrow(expect.objectContaining({ code: 'ERR_NO_TOKEN' }));
    expect(() => made[4]!({ payload: {} } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INSUFFICIENT_USER_AUTHENTICATION', max_age: 60 }),
    );
    expect(() => helpers.requiredAuthentication({ maxAge: -1 })).toThrow(TypeError);
    expect(() => helpers.requiredScopes('a', { any: 1 as never })).toThrow(TypeError);
  });

  it('records only a non-default challenge, and writes it into route-check errors', async () => {
    const token = await issuer.sign();
    const plain: Record<PropertyKey, unknown> = {};
    authenticateInto(verifier, bearer(token), undefined, plain, () => undefined);
    expect(Object.getOwnPropertySymbols(plain)).toHaveLength(0);
    expect(challengeOf(plain)).toBeUndefined();

    const orders = createVerifier({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: AUD,
      realm: 'orders',
    });
    try {
      const target: Record<PropertyKey, unknown> = {};
      await new Promise((resolve) =>
        authenticateInto(orders, { headers: {} }, undefined, target, resolve, false),
      );
      expect(challengeOf(target)).toBe(orders.challenge);
      const fail: AuthCheck = () => {
        throw new InvalidTokenError('ERR_CLAIM_INVALID', 'no');
      };
      const error = await new Promise((resolve) =>
        runCheck(fail, null, challengeOf(target), resolve),
      );
      expect(error).toMatchObject({
        headers: {
          'WWW-Authenticate': expect.stringMatching(
            /^Bearer realm="orders", error="invalid_token"/,
          ),
        },
      });
      expect(() => checkThen(fail, null, orders.challenge, () => 1)).toThrow(
        expect.objectContaining({
          headers: { 'WWW-Authenticate': expect.stringMatching(/^Bearer realm="orders"/) },
        }),
      );
      const later: AuthCheck = () =>
        Promise.reject(new InvalidTokenError('ERR_CLAIM_INVALID', 'no'));
      await expect(checkThen(later, null, orders.challenge, () => 1)).rejects.toMatchObject({
        headers: { 'WWW-Authenticate': expect.stringMatching(/^Bearer realm="orders"/) },
      });
      expect(
        checkThen(
          () => undefined,
          null,
          orders.challenge,
          () => 'next',
        ),
      ).toBe('next');
    } finally {
      orders.close();
    }
  });

  it('requestFor reads the node request only when the verifier reads nothing but headers', () => {
    const node = { headers: {} };
    const framework = { headers: {}, query: {} };
    expect(requestFor(verifier, node, framework)).toBe(node);
    expect(requestFor(verifier, undefined, framework)).toBe(framework);
    for (const allow of [{ allowQueryToken: true }, { allowBodyToken: true }]) {
      const reading = createVerifier({
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        audience: AUD,
        ...allow,
      });
      expect(requestFor(reading, node, framework)).toBe(framework);
      reading.close();
    }
  });

  it('authenticateRoute skips, relaxes, forces, and fails closed on an unknown setting', async () => {
    const run = (
      setting: unknown,
      request: { headers: Record<string, string> } = { headers: {} },
    ) =>
      new Promise((resolve) =>
        authenticateRoute(verifier, request, undefined, {}, resolve, setting, {
          method: 'GET',
          url: '/x',
        }),
      );
    await expect(run(false)).resolves.toBeUndefined();
    await expect(run('optional')).resolves.toBeUndefined();
    await expect(run(true)).resolves.toMatchObject({ code: 'ERR_NO_TOKEN' });
    await expect(run(undefined)).resolves.toMatchObject({ code: 'ERR_NO_TOKEN' });
    await expect(run('required', bearer(await issuer.sign()))).resolves.toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('route GET /x'),
    });
  });

  it.each([
    [undefined, undefined],
    [true, true],
    ['optional', false],
    [false, 'skip'],
    ['required', null],
    ['true', null],
    [1, null],
    [null, null],
  ])('routeRequirement(%j) is %j (null: refuse the request)', (setting, expected) => {
    expect(routeRequirement(setting)).toBe(expected);
  });

  it('routeSettingError names the route and the value', () => {
    expect(routeSettingError('GET', '/admin', 'required').message).toBe(
      `route GET /admin: config.jwksAuth must be true, false or 'optional', got "required"`,
    );
  });
});

describe('errorResponse', () => {
  it('renders a JwksAuthError and leaves anything else alone', () => {
    const denied = errorResponse(
      new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired'),
    );
    expect(denied).toEqual({
      status: 401,
      headers: {
        'WWW-Authenticate':
          'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
      },
      body: { error: 'invalid_token', error_description: 'the token has expired' },
    });
    const down = errorResponse(
      new KeySetUnavailableError('ERR_JWKS_UNAVAILABLE', 'x', { retryAfter: 3 }),
    );
    expect(down).toMatchObject({ status: 503, headers: { 'Retry-After': '3' } });
    expect(down!.body.error).toBe('temporarily_unavailable');
    expect(errorResponse(new Error('other'))).toBeUndefined();
  });
});
