import { describe, expect, it } from '@jest/globals';
import { isCorsPreflight } from '@jwks-auth/core';

describe('isCorsPreflight', () => {
  it('is an OPTIONS request that names the method it will use', () => {
    expect(
      isCorsPreflight({ method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } }),
    ).toBe(true);
    expect(isCorsPreflight({ method: 'OPTIONS', headers: {} })).toBe(false);
    expect(
      isCorsPreflight({ method: 'GET', headers: { 'access-control-request-method': 'GET' } }),
    ).toBe(false);
  });
});
