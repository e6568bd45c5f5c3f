import { describe, expect, it } from '@jest/globals';
import {
  InvalidTokenError,
  applyChallenge,
  JwksAuthError,
  KeySetUnavailableError,
  UnauthorizedError,
  bearerChallenge,
  bearerErrorBody,
  isJwksAuthError,
} from '@jwks-auth/core';

describe('bearerChallenge', () => {
  it('builds an RFC 6750 challenge', () => {
    expect(bearerChallenge('api')).toBe('Bearer realm="api"');
    expect(bearerChallenge('api', 'invalid_token', 'token expired')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="token expired"',
    );
  });

  it('escapes quotes and backslashes and drops control characters', () => {
    expect(bearerChallenge('api', 'invalid_token', 'a"b\\c\r\nSet-Cookie: x')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="a\\"b\\\\cSet-Cookie: x"',
    );
  });
});

describe('JwksAuthError', () => {
  it('carries what HTTP needs', () => {
    const err = applyChallenge(
      new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired'),
      {
        realm: 'r',
      },
    );
    expect(err).toBeInstanceOf(JwksAuthError);
    expect(isJwksAuthError(err)).toBe(true);
    expect(err).toMatchObject({
      name: 'InvalidTokenError',
      code: 'ERR_TOKEN_EXPIRED',
      status: 401,
      statusCode: 401,
      expose: true,
      error: 'invalid_token',
      error_description: 'the token has expired',
      headers: {
        'WWW-Authenticate':
          'Bearer realm="r", error="invalid_token", error_description="the token has expired"',
      },
    });
  });

  it('has no error attribute when no credentials were sent', () => {
    const err = new UnauthorizedError();
    expect(err.error).toBeUndefined();
    expect(err.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
  });

  it('a 503 is not exposed and says when to retry', () => {
    const err = new KeySetUnavailableError('ERR_JWKS_UNAVAILABLE', 'down', { retryAfter: 4 });
    expect(err).toMatchObject({ status: 503, expose: false, headers: { 'Retry-After': '4' } });
    expect(err.headers['WWW-Authenticate']).toBeUndefined();
  });
});

describe('bearerErrorBody', () => {
  it('gives the RFC 6750 error, unauthorized without a token, and a generic 503', () => {
    const expired = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired');
    expect(bearerErrorBody(expired)).toEqual({
      error: 'invalid_token',
      error_description: 'the token has expired',
    });
    expect(bearerErrorBody(new UnauthorizedError())).toEqual({
      error: 'unauthorized',
      error_description: 'no bearer token in the request',
    });
    const down = new KeySetUnavailableError(
      'ERR_JWKS_UNAVAILABLE',
      'the signing keys are unavailable',
    );
    expect(bearerErrorBody(down)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'authentication is temporarily unavailable',
    });
  });
});
