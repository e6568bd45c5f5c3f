import { describe, expect, it } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import { resolveOptions } from '../src/resolve-options.js';
import type { VerifierOptions } from '@jwks-auth/core';

const AUD = 'https://api.example.test';

describe('options', () => {
  it.each([
    [{ algorithms: ['HS256'] }, /"algorithms" option/],
    [{ algorithms: ['none'] }, /"algorithms" option/],
    [{ clockTolerance: -1 }, /"clockTolerance" option/],
    [
      { jwks: { timeoutDuration: 1.5 } },
      /"jwks.timeoutDuration" option must be a non-negative integer/,
    ],
    [{ jwks: { cacheMaxAge: -1 } }, /"jwks.cacheMaxAge" option/],
    [{ issuer: 'not a url' }, /"issuer" option/],
    [{ issuer: [] }, /"issuer" option/],
    [{ jwksUri: 'ftp://x' }, /"jwksUri" option/],
    [{ realm: 'a"b' }, /"realm" option/],
    [{ getToken: 'header' }, /"getToken" option/],
    [{ strict: true, typ: 'JWT' }, /"typ" option/],
    [{ cache: { maxEntries: -5 } }, /"cache.maxEntries" option/],
    [{ credentialsRequired: 'no' }, /"credentialsRequired" option/],
    [{ hookTimeout: 3e9 }, /"hookTimeout" option must be from 1 to 2147483647/],
    [{ jwks: { timeoutDuration: 5e9 } }, /"jwks.timeoutDuration" option must be at most/],
    [{ corsPreflight: 'skip' }, /"corsPreflight" option must be "authenticate" or "pass"/],
    [{ jwksUri: 'http://keys.localhost/jwks' }, /"jwksUri" option must be https/],
  ])('throws a TypeError naming the option for %j', (bad, message) => {
    expect(() =>
      createVerifier({
        issuer: 'https://id.example',
        audience: AUD,
        ...bad,
      } as unknown as VerifierOptions),
    ).toThrow(message);
  });
});

describe('defaults', () => {
  it('applies the documented defaults', () => {
    const o = resolveOptions({ issuer: 'https://id.example', audience: AUD });
    expect(o).toMatchObject({
      clockTolerance: 5,
      maxTokenAge: undefined,
      requiredClaims: ['exp'],
      credentialsRequired: true,
      allowQueryToken: false,
      allowBodyToken: false,
      realm: 'api',
      maxTokenLength: 8192,
      cacheMaxEntries: 1000,
      jwks: {
        cacheMaxAge: 600_000,
        cooldownDuration: 30_000,
        timeoutDuration: 5_000,
        maxStaleAge: 21_600_000,
        maxResponseBytes: 524_288,
      },
    });
    expect(o.algorithms).not.toContain('HS256');
    expect(o.algorithms).toContain('EdDSA');
  });

  it('strict adds the RFC 9068 claims and typ', () => {
    const o = resolveOptions({ issuer: 'https://id.example', audience: AUD, strict: true });
    expect(o.typ).toBe('at+jwt');
    expect(new Set(o.requiredClaims)).toEqual(
      new Set(['exp', 'iss', 'aud', 'sub', 'client_id', 'iat', 'jti']),
    );
  });
});
