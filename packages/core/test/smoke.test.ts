import { describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import { createVerifier } from '@jwks-auth/core';

describe('smoke', () => {
  it('verifies', async () => {
    const issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256', 'EdDSA'] });
    const v = createVerifier({ issuer: issuer.issuer, audience: 'https://api.example.test' });
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const token = await issuer.sign({}, { alg });
      const r = await v.verify(token);
      expect(r.payload.sub).toBe('test-user');
      expect(v.handle({ headers: { authorization: `Bearer ${token}` } })).toBe(r);
    }
    await expect(v.verify('abc')).rejects.toMatchObject({
      code: 'ERR_TOKEN_MALFORMED',
      status: 401,
    });
    console.log(issuer.requests);
    v.close();
    await issuer.close();
  });
});
