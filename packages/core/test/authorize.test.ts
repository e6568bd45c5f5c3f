import { describe, expect, it } from '@jest/globals';
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  applyChallenge,
  grantedScopes,
  requiredScopes,
} from '@jwks-auth/core';
import type { JwksAuthError, VerifyResult } from '@jwks-auth/core';

const auth = (payload: Record<string, unknown>): VerifyResult => ({
  payload,
  scheme: 'Bearer',
  header: { alg: 'RS256' },
  token: 'x.y.z',
});

describe('requiredScopes', () => {
  it('reads scope, scp and permissions', () => {
    expect(grantedScopes({ scope: 'a b', scp: ['c'], permissions: ['d'] })).toEqual(
      new Set(['a', 'b', 'c', 'd']),
    );
    expect(() => requiredScopes('c')(auth({ scp: 'c' }))).not.toThrow();
    expect(() => requiredScopes('d')(auth({ permissions: ['d'] }))).not.toThrow();
  });

  it('requires all scopes unless any is set', () => {
    const all = requiredScopes(['read', 'write']);
    expect(() => all(auth({ scope: 'read write' }))).not.toThrow();
    expect(() => all(auth({ scope: 'read' }))).toThrow(
      expect.objectContaining({
        status: 403,
        code: 'ERR_INSUFFICIENT_SCOPE',
        headers: {
          'WWW-Authenticate':
            'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read write"',
        },
      }),
    );
    const any = requiredScopes(['read', 'write'], { any: true });
    expect(() => any(auth({ scope: 'write' }))).not.toThrow();
    expect(() => any(auth({ scope: 'admin' }))).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('does not match a scope by substring', () => {
    expect(() => requiredScopes('read')(auth({ scope: 'read:all' }))).toThrow();
  });

  it('answers 401 when there is no authenticated token', () => {
    // The check throws the default challenge; the edge writes the verifier's.
    const inRealm = (check: () => unknown) => () => {
      try {
        check();
      } catch (error) {
        throw applyChallenge(error as JwksAuthError, { realm: 'orders' });
      }
    };
    expect(inRealm(() => requiredScopes('read')(undefined))).toThrow(
      expect.objectContaining({
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer realm="orders"' },
      }),
    );
  });

  it('refuses invalid scope tokens at setup', () => {
    expect(() => requiredScopes([])).toThrow(TypeError);
    expect(() => requiredScopes(['a"b'])).toThrow(TypeError);
  });
});

describe('claim checks', () => {
  it('claimEquals compares strictly', () => {
    expect(() => claimEquals('org', 'acme')(auth({ org: 'acme' }))).not.toThrow();
    expect(() => claimEquals('org', 'acme')(auth({ org: 'evil' }))).toThrow(
      expect.objectContaining({ status: 403, code: 'ERR_CLAIM_CHECK_FAILED' }),
    );
    expect(() => claimEquals('n', 1)(auth({ n: '1' }))).toThrow();
  });

  it('claimIncludes reads arrays and space-separated strings', () => {
    expect(() => claimIncludes('roles', 'admin')(auth({ roles: ['user', 'admin'] }))).not.toThrow();
    expect(() => claimIncludes('roles', 'admin')(auth({ roles: 'user admin' }))).not.toThrow();
    expect(() => claimIncludes('roles', 'admin', 'root')(auth({ roles: ['admin'] }))).toThrow();
    expect(() => claimIncludes('roles', 'admin')(auth({}))).toThrow();
  });

  it('claimCheck uses the predicate and its description; a throwing predicate fails', () => {
    const verified = claimCheck((p) => p.email_verified === true, 'email must be verified');
    expect(() => verified(auth({ email_verified: true }))).not.toThrow();
    expect(() => verified(auth({}))).toThrow(
      expect.objectContaining({ error_description: 'email must be verified', status: 403 }),
    );
    const broken = claimCheck(() => {
      throw new Error('bug');
    }, 'broken');
    expect(() => broken(auth({}))).toThrow(expect.objectContaining({ status: 403 }));
  });
});
