import type { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { createVerifier } from '@jwks-auth/core';
import type { Verifier } from '@jwks-auth/core';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
let issuer: TestIssuer;
let verifiers: Verifier[];

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256'] });
  verifiers = (['node', 'jose'] as const).map((engine) =>
    createVerifier({
      issuer: issuer.issuer,
      audience: 'https://api.example.test',
      jwksUri: issuer.jwksUri,
      engine,
      cache: false,
    }),
  );
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  await issuer.close();
});

describe('compact parsing', () => {
  it('accepts only the canonical base64url spelling of a signature', async () => {
    const token = await issuer.sign({});
    // A 256-byte RSA signature is 342 characters: the last carries 4 unused bits.
    const last = token[token.length - 1]!;
    const twin = token.slice(0, -1) + B64[B64.indexOf(last) | 1];
    expect(Buffer.from(twin.split('.')[2]!, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2]!, 'base64url'),
    );
    for (const v of verifiers) {
      await expect(v.verify(token)).resolves.toBeDefined();
      await expect(v.verify(twin)).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
    }
  });

  it('refuses NumericDates that are not finite, in both engines', async () => {
    // jose cannot sign Infinity, so sign the JSON text with 1e309 by hand.
    const key = issuer.keys[0]!;
    const enc = (text: string) => Buffer.from(text).toString('base64url');
    const header = enc(JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' }));
    const payload = enc(
      `{"iss":${JSON.stringify(issuer.issuer)},"aud":"https://api.example.test","exp":1e309}`,
    );
    const signature = await globalThis.crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      key.privateKey as webcrypto.CryptoKey,
      Buffer.from(`${header}.${payload}`),
    );
    const token = `${header}.${payload}.${Buffer.from(signature).toString('base64url')}`;
    for (const v of verifiers) {
      await expect(v.verify(token)).rejects.toMatchObject({
        code: 'ERR_CLAIM_INVALID',
        error_description: 'the exp claim is malformed',
      });
    }
  });

  it('refuses an aud that is neither a string nor an array of strings, even with audience: null', async () => {
    const token = await issuer.sign({ aud: 42 });
    for (const engine of ['node', 'jose'] as const) {
      const v = createVerifier({
        issuer: issuer.issuer,
        audience: null,
        jwksUri: issuer.jwksUri,
        engine,
      });
      await expect(v.verify(token)).rejects.toMatchObject({
        code: 'ERR_CLAIM_INVALID',
        error_description: 'the aud claim is malformed',
      });
      v.close();
    }
  });
});

describe('decoded headers', () => {
  it('are deeply frozen and shared by tokens with the same header segment', async () => {
    const [a, b] = [await issuer.sign({ sub: 'a' }), await issuer.sign({ sub: 'b' })];
    expect(a.split('.')[0]).toBe(b.split('.')[0]);
    for (const v of verifiers) {
      const [ra, rb] = [await v.verify(a), await v.verify(b)];
      expect(Object.isFrozen(ra.header)).toBe(true);
      if (v.options.engine === 'node') expect(ra.header).toBe(rb.header);
      expect(ra.header).toEqual(rb.header);
    }
  });

  it('never keep a header that failed to decode', async () => {
    const token = await issuer.sign({});
    const [, payload, signature] = token.split('.');
    const bad = `${Buffer.from('{"alg":"RS256"').toString('base64url')}.${payload}.${signature}`;
    for (let i = 0; i < 2; i += 1) {
      await expect(verifiers[0]!.verify(bad)).rejects.toMatchObject({
        code: 'ERR_TOKEN_MALFORMED',
      });
    }
  });
});
