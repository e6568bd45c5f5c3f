/**
 * Key judging, identity and the index (src/jwk-judge.ts, src/keys.ts): every
 * rule a key must pass before the verifier will use it, checked once when a
 * set is parsed.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ALGORITHMS, SUPPORTED_ALGORITHMS } from '../src/algorithms.js';
import { KeyIndex } from '../src/key-index.js';
import { parseKeySet } from '../src/keys.js';

/** Every algorithm of the table whose keys have JWK type `kty`, in table order. */
function family(kty: 'RSA' | 'EC' | 'OKP') {
  return SUPPORTED_ALGORITHMS.filter((alg) => ALGORITHMS[alg].kty === kty);
}

function publicJwk(type: 'rsa' | 'ec' | 'ed25519', extra: Record<string, unknown> = {}) {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { ...(pair.publicKey.export({ format: 'jwk' }) as JsonWebKey), ...extra };
}

const rsa = publicJwk('rsa', { kid: 'rsa' });
const ec = publicJwk('ec', { kid: 'ec' });
const ed = publicJwk('ed25519', { kid: 'ed' });

function judged(jwk: unknown): { usable: number; reason: string | undefined } {
  const parsed = parseKeySet({ keys: [jwk] });
  return { usable: parsed.keys.length, reason: parsed.refused[0]?.reason };
}

describe('parseKeySet judges each key once', () => {
  it('keeps well-formed public keys with the algorithms they fit', () => {
    const { keys } = parseKeySet({ keys: [rsa, ec, ed] });
    expect(keys.map((k) => [k.kid, k.algorithms])).toEqual([
      ['rsa', family('RSA')],
      ['ec', ['ES256']],
      ['ed', family('OKP')],
    ]);
    expect(parseKeySet({ keys: [{ ...rsa, alg: 'PS384' }] }).keys[0]!.algorithms).toEqual([
      'PS384',
    ]);
  });

  it.each([
    ['exponent 1', { ...rsa, e: 'AQ' }, /below 3/],
    ['exponent 2 (even)', { ...rsa, e: 'Ag' }, /even/],
    ['exponent 65536 (even)', { ...rsa, e: 'AQAA' }, /even/],
    ['exponent of 9 bytes', { ...rsa, e: Buffer.alloc(9, 1).toString('base64url') }, /too large/],
    ['exponent with a leading zero', { ...rsa, e: 'AAEAAQ' }, /leading zero/],
    ['modulus of 1024 bits', { ...rsa, n: Buffer.alloc(128, 0xff).toString('base64url') }, /1024/],
    [
      'modulus over 16384 bits',
      { ...rsa, n: Buffer.alloc(2049, 0xff).toString('base64url') },
      /above/,
    ],
    ['even modulus', { ...rsa, n: Buffer.alloc(256, 0xfe).toString('base64url') }, /even/],
    [
      'modulus with a leading zero',
      { ...rsa, n: `AA${rsa.n as string}` },
      /canonical|leading zero/,
    ],
    ['hostile = modulus', { ...rsa, n: `${'='.repeat(16000)}A` }, /canonical/],
    ['n as a number', { ...rsa, n: 12345 }, /"n" must be a string/],
    ['private member d', { ...rsa, d: 'AQAB' }, /private member "d"/],
    ['symmetric oct key', { kty: 'oct', k: 'c2VjcmV0' }, /private member "k"/],
    ['use enc', { ...rsa, use: 'enc' }, /"use"/],
    ['key_ops without verify', { ...rsa, key_ops: ['encrypt'] }, /key_ops/],
    ['key_ops as a string', { ...rsa, key_ops: 'verify' }, /array of strings/],
    ['alg that does not fit', { ...ec, alg: 'RS256' }, /"alg"/],
    ['unknown alg', { ...rsa, alg: 'RSA-OAEP' }, /"alg"/],
    ['EC x of the wrong size', { ...ec, x: Buffer.alloc(31, 1).toString('base64url') }, /32 bytes/],
    ['EC curve secp256k1', { ...ec, crv: 'secp256k1' }, /crv/],
    ['Ed448', { ...ed, crv: 'Ed448' }, /Ed25519/],
    ['unknown kty', { kty: 'XYZ' }, /kty/],
    ['not an object', 'a string', /JSON object/],
    [
      'a member nested 6000 deep',
      { ...rsa, extra: JSON.parse(`${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}`) as unknown },
      /nests too deeply/,
    ],
  ])('refuses %s', (_name, jwk, reason) => {
    const verdict = judged(jwk);
    expect(verdict.usable).toBe(0);
    expect(verdict.reason).toMatch(reason);
  });

  it('keeps the other keys when one is refused', () => {
    const parsed = parseKeySet({ keys: [{ ...rsa, e: 'AQ' }, ec] });
    expect(parsed.keys.map((k) => k.kid)).toEqual(['ec']);
    expect(parsed.refused).toEqual([{ index: 0, kid: 'rsa', reason: expect.any(String) }]);
  });

  it('collapses a key listed twice, and tells a changed member from the same key', () => {
    const parsed = parseKeySet({ keys: [rsa, { ...rsa }, ec] });
    expect(parsed.keys).toHaveLength(2);
    const reordered = Object.fromEntries(Object.entries(rsa).reverse());
    expect(parseKeySet({ keys: [reordered] }).keys[0]!.identity).toBe(parsed.keys[0]!.identity);
    expect(parseKeySet({ keys: [{ ...rsa, x5t: 'abc' }] }).keys[0]!.identity).not.toBe(
      parsed.keys[0]!.identity,
    );
  });

  it('never uses an EC point that is not on its curve (both engines need the node key)', () => {
    const offCurve = {
      ...ec,
      x: Buffer.alloc(32, 1).toString('base64url'),
      y: Buffer.alloc(32, 2).toString('base64url'),
    };
    const [key] = parseKeySet({ keys: [offCurve] }).keys;
    expect(key!.keyObject()).toBeNull();
  });
});

describe('KeyIndex', () => {
  const many = Array.from({ length: 6 }, () => publicJwk('ec'));

  it('selects by kid and algorithm, and by algorithm for tokens without kid', () => {
    const index = new KeyIndex(parseKeySet({ keys: [rsa, ec, ed, ...many] }).keys);
    expect(index.select('ES256', 'ec').map((k) => k.kid)).toEqual(['ec']);
    expect(index.select('RS256', 'ec')).toHaveLength(0);
    expect(index.select('ES256', 'nope')).toHaveLength(0);
    expect(index.select('ES256', undefined)).toHaveLength(7);
    expect(index.select('Ed25519', 'ed')).toHaveLength(1);
  });

  it('moves a key that verified to the front', () => {
    const keys = parseKeySet({ keys: many }).keys;
    const index = new KeyIndex(keys);
    const fifth = keys[4]!;
    expect(index.select('ES256', undefined).indexOf(fifth)).toBe(4);
    index.promote(fifth, 'ES256');
    expect(index.select('ES256', undefined)[0]).toBe(fifth);
    expect(index.select('ES256', undefined)).toHaveLength(6);
  });
});
