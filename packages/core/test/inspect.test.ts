/**
 * Inspection for tools (src/inspect.ts): a key set judged key by key as a
 * refresh judges it, and the key a token's signature verifies with, or why
 * none fits.
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint } from 'jose';
import { inspectKeyChoice, inspectKeySet } from '../src/index.js';
import { MAX_CANDIDATES } from '../src/key-index.js';

function pair(type: 'rsa' | 'ec') {
  const keys =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...keys, jwk: keys.publicKey.export({ format: 'jwk' }) as JsonWebKey };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An RS256 or ES256 compact JWS over `claims`. */
function token(privateKey: KeyObject, header: Record<string, unknown>): string {
  const input = `${b64(header)}.${b64({ sub: 'x' })}`;
  const signature =
    header.alg === 'ES256'
      ? nodeSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : nodeSign('sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

const rsa = pair('rsa');
const ec = pair('ec');
const other = pair('rsa');

describe('inspectKeySet', () => {
  it('judges each member as a refresh does: refused with the reason, repeats collapsed, off-curve points dropped', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'jwk',
    });
    // A point off the curve: the judge accepts its shape, node:crypto refuses it.
    const offCurve = { ...ec.jwk, y: ec.jwk.x, kid: 'off' };
    const good = { ...rsa.jwk, kid: 'a', alg: 'RS256' };
    const keys = inspectKeySet({
      keys: [
        good,
        { ...weak, kid: 'weak' },
        { ...rsa.jwk, d: 'AQAB', kid: 'private' },
        offCurve,
        good,
        'text',
      ],
    });
    expect(keys[0]).toEqual({
      index: 0,
      kid: 'a',
      kty: 'RSA',
      alg: 'RS256',
      thumbprint: await calculateJwkThumbprint(rsa.jwk as never, 'sha256'),
      usable: true,
      algorithms: ['RS256'],
      refused: undefined,
      duplicateOf: undefined,
    });
    expect(keys.slice(1).map((k) => [k.usable, k.refused, k.duplicateOf])).toEqual([
      [false, 'RSA modulus of 1024 bits is below 2048', undefined],
      [false, 'private member "d" present', undefined],
      [false, 'the key does not import', undefined],
      [false, undefined, 0],
      [false, 'not a JSON object', undefined],
    ]);
  });

  it('throws on a document without a keys array', () => {
    expect(() => inspectKeySet({ keys: 'x' })).toThrow('key set has no "keys" array');
  });
});

describe('inspectKeyChoice', () => {
  const document = {
    keys: [
      { ...rsa.jwk, kid: 'r', alg: 'RS256' },
      { ...ec.jwk, kid: 'e' },
      { ...rsa.jwk, kid: 'enc', use: 'enc' },
    ],
  };

  it('names the key whose signature check passes', () => {
    const choice = inspectKeyChoice(document, token(rsa.privateKey, { alg: 'RS256', kid: 'r' }));
    expect(choice.chosen?.kid).toBe('r');
    expect(choice.reason).toBeUndefined();
    const kidless = inspectKeyChoice(document, token(ec.privateKey, { alg: 'ES256' }));
    expect(kidless.chosen?.kid).toBe('e');
  });

  it('says why no key fits: unknown kid, another algorithm, a refused key, a bad signature', () => {
    const reason = (header: Record<string, unknown>, key = rsa.privateKey) =>
      inspectKeyChoice(document, token(key, header)).reason;
    expect(reason({ alg: 'RS256', kid: 'nope' })).toBe('no key has kid "nope"');
    expect(reason({ alg: 'ES256', kid: 'r' }, ec.privateKey)).toBe(
      'the key with kid "r" verifies RS256, not ES256',
    );
    expect(reason({ alg: 'RS256', kid: 'enc' })).toBe(
      'the key with kid "enc" is refused: "use" is not "sig"',
    );
    expect(reason({ alg: 'RS256', kid: 'r' }, other.privateKey)).toBe(
      'the signature does not verify with the key that fits',
    );
    expect(reason({ alg: 'PS256' })).toBe('no usable key verifies PS256');
    expect(reason({ alg: 'HS256' })).toBe('the token\'s alg "HS256" is not supported');
  });

  it('tries at most MAX_CANDIDATES keys, as the verifier does', () => {
    const many = Array.from({ length: MAX_CANDIDATES + 1 }, () => ({
      ...pair('ec').jwk,
      alg: 'ES256',
    }));
    const last = pair('ec');
    const choice = inspectKeyChoice(
      { keys: [...many, { ...last.jwk, alg: 'ES256' }] },
      token(last.privateKey, { alg: 'ES256' }),
    );
    expect(choice.chosen).toBeUndefined();
    expect(choice.candidates).toHaveLength(MAX_CANDIDATES + 2);
    expect(choice.reason).toBe(
      `the signature does not verify with any of the ${MAX_CANDIDATES} keys that fit (${MAX_CANDIDATES + 2} fit; ${MAX_CANDIDATES} are tried)`,
    );
  });
});
