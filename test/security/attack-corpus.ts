/**
 * Attack corpus: hostile bearer tokens and the key material to build them.
 *
 * Every case is a recipe (`build`) rather than a fixed string so each run
 * signs with keys generated for that run and carries fresh `iat`/`exp`. The
 * low-level helpers (`forge`, `signJws`, `MUTATIONS`) are shared with the
 * fuzz and differential tests.
 */
import {
  KeyObject,
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign as nodeSign,
} from 'node:crypto';
import type { JsonWebKey, webcrypto } from 'node:crypto';
import type { JwksAuthErrorCode, VerifierOptions } from '@jwks-auth/core';
import type { CryptoKey } from 'jose';
import { createKeySetServer, createTestIssuer } from '@jwks-auth/testing';
import type { KeySetServer, TestIssuer, TestKey } from '@jwks-auth/testing';

/** Audience every verifier in the security suite expects. */
export const AUDIENCE = 'https://api.example.test';

/** P-256 group order n (CVE-2022-21449 "psychic signatures" use r or s = 0 or n). */
export const P256_ORDER = Buffer.from(
  'FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551',
  'hex',
);

// ---------------------------------------------------------------------------
// Encoding and signing helpers
// ---------------------------------------------------------------------------

/** base64url without padding. */
export function b64url(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url');
}

/** A header or payload: an object (JSON-serialised) or raw text used verbatim. */
export type Segment = string | Record<string, unknown> | unknown[] | Uint8Array;

function segmentBytes(value: Segment): Uint8Array | string {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}

/** `b64url(header).b64url(payload)`. */
export function signingInput(header: Segment, payload: Segment): string {
  return `${b64url(segmentBytes(header))}.${b64url(segmentBytes(payload))}`;
}

/** A compact JWS with an arbitrary signature (bytes, or a raw segment string). */
export function forge(header: Segment, payload: Segment, signature: Uint8Array | string): string {
  const sig = typeof signature === 'string' ? signature : b64url(signature);
  return `${signingInput(header, payload)}.${sig}`;
}

/** Anything that can sign: a test issuer's key or a locally generated one. */
export interface SigningKey {
  /** The algorithm the key really signs with (the header may claim another). */
  readonly alg: string;
  readonly privateKey: KeyObject | webcrypto.CryptoKey | CryptoKey;
}

function asKeyObject(key: SigningKey['privateKey']): KeyObject {
  return key instanceof KeyObject ? key : KeyObject.from(key as webcrypto.CryptoKey);
}

/** Raw JWS signature bytes of `input` (ECDSA in the JOSE r||s form). */
export function rawSignature(key: SigningKey, input: string): Buffer {
  const privateKey = asKeyObject(key.privateKey);
  const data = Buffer.from(input);
  const bits = key.alg.slice(-3);
  if (key.alg.startsWith('RS')) return nodeSign(`sha${bits}`, data, privateKey);
  if (key.alg.startsWith('PS')) {
    return nodeSign(`sha${bits}`, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(bits) / 8,
    });
  }
  if (key.alg.startsWith('ES')) {
    const hash = key.alg === 'ES512' ? 'sha512' : `sha${bits}`;
    return nodeSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  }
  return nodeSign(null, data, privateKey);
}

/**
 * Signs exactly the given header and payload (raw text allowed, so duplicate
 * JSON members or `1e309` survive) with `key`, whatever the header claims.
 */
export function signJws(key: SigningKey, header: Segment, payload: Segment): string {
  const input = signingInput(header, payload);
  return `${input}.${b64url(rawSignature(key, input))}`;
}

/** HS256 over `input` with `secret` (the classic RS256 → HS256 confusion). */
export function hmacSignature(secret: string | Buffer, input: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

/** DER-encodes an ECDSA signature from unsigned big-endian r and s. */
export function derEcdsa(r: Uint8Array, s: Uint8Array): Buffer {
  const int = (v: Uint8Array): Buffer => {
    let bytes = Buffer.from(v);
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i += 1;
    bytes = bytes.subarray(i);
    if (bytes.length === 0) bytes = Buffer.from([0]);
    if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** A 32-byte big-endian integer. */
export function u256(value: number | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const out = Buffer.alloc(32);
  out.writeUInt32BE(value, 28);
  return out;
}

/** JSON text of `claims` with extra members appended as raw JSON text (e.g. `"exp":1e309`). */
export function rawClaims(claims: Record<string, unknown>, raw: Record<string, string>): string {
  const members = Object.entries(raw).map(([name, text]) => `${JSON.stringify(name)}:${text}`);
  const base = JSON.stringify(claims);
  if (members.length === 0) return base;
  return base === '{}' ? `{${members.join(',')}}` : `${base.slice(0, -1)},${members.join(',')}}`;
}

/** Omits members from an object. */
export function omit<T extends Record<string, unknown>>(value: T, ...names: string[]): T {
  const copy: Record<string, unknown> = { ...value };
  for (const name of names) delete copy[name];
  return copy as T;
}

/** The base64url alphabet in index order. */
export const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Another spelling of the same bytes: the last character of an unpadded
 * base64url segment carries unused low bits; changing only those yields a
 * different string that decodes identically (undefined when no spare bits).
 */
export function nonCanonicalTail(segment: string): string | undefined {
  const spareBits = (segment.length * 6) % 8;
  if (spareBits === 0) return undefined;
  const last = B64URL_ALPHABET.indexOf(segment.at(-1)!);
  const variant = last ^ 1; // flips the lowest (unused) bit
  return segment.slice(0, -1) + B64URL_ALPHABET[variant]!;
}

// ---------------------------------------------------------------------------
// The world the attacks run against
// ---------------------------------------------------------------------------

/** A locally generated key pair with its public JWK (the attacker's). */
export interface LocalKey extends SigningKey {
  readonly kid: string;
  readonly publicJwk: JsonWebKey & { kid: string; alg: string; use: string };
}

function localKey(alg: 'RS256' | 'ES256', kid: string): LocalKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
  };
}

// ---------------------------------------------------------------------------
// Hostile keys: published by the trusted issuer, never to be used
// ---------------------------------------------------------------------------

/** A non-negative big-endian integer. */
function bigOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Big-endian bytes of `value`, left-padded with zeros to `length` when given. */
function bytesOf(value: bigint, length = 0): Buffer {
  const hex = value.toString(16);
  const bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  return bytes.length >= length
    ? bytes
    : Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

function b64Int(value: bigint): string {
  return b64url(bytesOf(value));
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [x0, x1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [x0, x1] = [x1, x0 - q * x1];
  }
  return ((x0 % m) + m) % m;
}

/** DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * EMSA-PKCS1-v1_5 encoding of SHA-256(`input`) in `length` bytes (RFC 8017
 * §9.2): 0x00 0x01 FF…FF 0x00 || DigestInfo || hash. Under e = 1 this block is
 * its own RS256 signature.
 */
export function emsaPkcs1Sha256(input: string, length: number): Buffer {
  const t = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(input).digest()]);
  const ps = Buffer.alloc(length - t.length - 3, 0xff);
  return Buffer.concat([Buffer.from([0x00, 0x01]), ps, Buffer.from([0x00]), t]);
}

/** An RSA key pair whose primes are both 3 mod 4, so square roots mod n are one exponentiation. */
interface RsaFactors {
  readonly privateKey: KeyObject;
  /** Private JWK (n, e, d, p, q, dp, dq, qi). */
  readonly privateJwk: JsonWebKey;
  readonly n: bigint;
  readonly p: bigint;
  readonly q: bigint;
  /** The private exponent of e = 65537. */
  readonly d: bigint;
}

function rsaWithBlumPrimes(): RsaFactors {
  for (;;) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateJwk = pair.privateKey.export({ format: 'jwk' });
    const p = bigOf(Buffer.from(privateJwk.p!, 'base64url'));
    const q = bigOf(Buffer.from(privateJwk.q!, 'base64url'));
    if (p % 4n !== 3n || q % 4n !== 3n) continue;
    return {
      privateKey: pair.privateKey,
      privateJwk,
      n: p * q,
      p,
      q,
      d: bigOf(Buffer.from(privateJwk.d!, 'base64url')),
    };
  }
}

/** A square root of `a` mod p*q (p, q ≡ 3 mod 4), or undefined when `a` is not a square. */
function sqrtModBlum(a: bigint, { p, q, n }: RsaFactors): bigint | undefined {
  const rp = modPow(a, (p + 1n) / 4n, p);
  const rq = modPow(a, (q + 1n) / 4n, q);
  if ((rp * rp) % p !== a % p || (rq * rq) % q !== a % q) return undefined;
  const h = ((((rp - rq) % p) + p) % p) * modInverse(q, p);
  return (rq + q * (h % p)) % n;
}

/** Nests `{ "x": … }` `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i += 1) value = { x: value };
  return value;
}

/** The hostile keys issuer A publishes (one per `hostile-key` case). */
export type HostileKeyId =
  | 'rsaE1'
  | 'rsaEvenE'
  | 'rsaHugeE'
  | 'rsaLeadingZeroN'
  | 'rsaHugeN'
  | 'ecOffCurve'
  | 'ecPaddedX'
  | 'ecShortX'
  | 'okpEd448'
  | 'rsaPrivateD'
  | 'octK'
  | 'rsaKeyOpsEncrypt'
  | 'rsaNNumber'
  | 'rsaDeepMember';

/**
 * A key issuer A's key set lists that the verifier must never use, with a
 * way to make a token for it.
 */
export interface HostileKey {
  readonly kid: string;
  /** The JWK exactly as the key set lists it. */
  readonly jwk: Record<string, unknown>;
  /** Header `alg` of the token. */
  readonly alg: string;
  /** Signature bytes of a token's signing input; undefined when it has none (vary the claims). */
  sign(input: string): Buffer | undefined;
  /**
   * Whether `sign` yields a signature the listed JWK verifies when imported
   * as it is (plain node:crypto, no checks): the token would be accepted if
   * the key were used. False where no such key or signature exists (an
   * off-curve point, `n` as a number, a modulus of random bytes).
   */
  readonly wouldVerify: boolean;
}

/**
 * Builds {@link HostileKey}s. Most reuse one real RSA key (primes 3 mod 4)
 * published in a broken way, so the token signed by it verifies under the
 * published JWK if the verifier lets the breakage through.
 */
function createHostileKeys(): Readonly<Record<HostileKeyId, HostileKey>> {
  const rsa = rsaWithBlumPrimes();
  const { n: nB64, e: eB64 } = rsa.privateJwk as { n: string; e: string };
  const k = bytesOf(rsa.n).length;
  const rs256 = (input: string) => nodeSign('sha256', Buffer.from(input), rsa.privateKey);
  const rsaPublic = { kty: 'RSA', n: nB64, e: eB64 };
  const lambda = ((rsa.p - 1n) * (rsa.q - 1n)) / gcd(rsa.p - 1n, rsa.q - 1n);

  // e = 2 * 65537, even: s = sqrt(EM^d) gives s^e = (EM^d)^65537 = EM.
  const evenE = 2n * 65537n;
  // A 9-byte odd exponent with its real private exponent.
  let hugeE = (1n << 64n) + 1n;
  while (gcd(hugeE, lambda) !== 1n) hugeE += 2n;
  const hugeD = modInverse(hugeE, lambda);
  const hugeEKey = createPrivateKey({
    key: {
      ...rsa.privateJwk,
      e: b64Int(hugeE),
      d: b64Int(hugeD),
      dp: b64Int(hugeD % (rsa.p - 1n)),
      dq: b64Int(hugeD % (rsa.q - 1n)),
    },
    format: 'jwk',
  });

  const hugeN = randomBytes(2049); // 16,392 bits
  hugeN[0]! |= 0x80;
  hugeN[hugeN.length - 1]! |= 1;

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecJwk = ec.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const es256 = (key: KeyObject) => (input: string) =>
    nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  // A P-256 key whose x starts with a zero byte, to publish it without that byte.
  let short = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  while (Buffer.from(short.publicKey.export({ format: 'jwk' }).x!, 'base64url')[0] !== 0) {
    short = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  }
  const shortJwk = short.publicKey.export({ format: 'jwk' }) as { x: string; y: string };

  const ed448 = generateKeyPairSync('ed448');
  const octSecret = randomBytes(32);

  const rsaSig = { alg: 'RS256', use: 'sig' };
  const key = (
    id: HostileKeyId,
    jwk: Record<string, unknown>,
    sign: (input: string) => Buffer | undefined,
    wouldVerify = true,
    alg = 'RS256',
  ): [HostileKeyId, HostileKey] => {
    const kid = `hostile-${id}`;
    return [id, { kid, jwk: { ...jwk, kid }, alg, sign, wouldVerify }];
  };
  return Object.fromEntries([
    key('rsaE1', { kty: 'RSA', n: nB64, e: 'AQ', ...rsaSig }, (input) => emsaPkcs1Sha256(input, k)),
    key('rsaEvenE', { kty: 'RSA', n: nB64, e: b64Int(evenE), ...rsaSig }, (input) => {
      // Only one encoded block in four is a square mod n: no signature otherwise.
      const root = sqrtModBlum(modPow(bigOf(emsaPkcs1Sha256(input, k)), rsa.d, rsa.n), rsa);
      return root === undefined ? undefined : bytesOf(root, k);
    }),
    key('rsaHugeE', { kty: 'RSA', n: nB64, e: b64Int(hugeE), ...rsaSig }, (input) =>
      nodeSign('sha256', Buffer.from(input), hugeEKey),
    ),
    key(
      'rsaLeadingZeroN',
      {
        kty: 'RSA',
        n: b64url(Buffer.concat([Buffer.from([0]), bytesOf(rsa.n)])),
        e: eB64,
        ...rsaSig,
      },
      rs256,
    ),
    key(
      'rsaHugeN',
      { kty: 'RSA', n: b64url(hugeN), e: 'AQAB', ...rsaSig },
      () => randomBytes(2049),
      false,
    ),
    key(
      'ecOffCurve',
      {
        kty: 'EC',
        crv: 'P-256',
        x: b64url(randomBytes(32)),
        y: b64url(randomBytes(32)),
        alg: 'ES256',
        use: 'sig',
      },
      () => randomBytes(64),
      false,
      'ES256',
    ),
    key(
      'ecPaddedX',
      {
        kty: 'EC',
        crv: 'P-256',
        x: b64url(Buffer.concat([Buffer.from([0]), Buffer.from(ecJwk.x, 'base64url')])),
        y: ecJwk.y,
        alg: 'ES256',
        use: 'sig',
      },
      es256(ec.privateKey),
      true,
      'ES256',
    ),
    key(
      'ecShortX',
      {
        kty: 'EC',
        crv: 'P-256',
        x: b64url(Buffer.from(shortJwk.x, 'base64url').subarray(1)),
        y: shortJwk.y,
        alg: 'ES256',
        use: 'sig',
      },
      es256(short.privateKey),
      true,
      'ES256',
    ),
    key(
      'okpEd448',
      { ...ed448.publicKey.export({ format: 'jwk' }), alg: 'EdDSA', use: 'sig' },
      (input) => nodeSign(null, Buffer.from(input), ed448.privateKey),
      true,
      'EdDSA',
    ),
    key('rsaPrivateD', { ...rsa.privateJwk, ...rsaSig }, rs256),
    key(
      'octK',
      { kty: 'oct', k: b64url(octSecret), alg: 'HS256', use: 'sig' },
      (input) => hmacSignature(octSecret, input),
      true,
      'HS256',
    ),
    key('rsaKeyOpsEncrypt', { ...rsaPublic, alg: 'RS256', key_ops: ['encrypt'] }, rs256),
    key('rsaNNumber', { kty: 'RSA', n: Number.MAX_SAFE_INTEGER, e: eB64, ...rsaSig }, rs256, false),
    key('rsaDeepMember', { ...rsaPublic, ...rsaSig, 'x-ext': nested(20) }, rs256),
  ]) as Record<HostileKeyId, HostileKey>;
}

/** A key pair published without kid. */
export interface CrowdedKey extends SigningKey {
  readonly publicJwk: JsonWebKey;
}

/** Trusted issuers, their keys, and the attacker's keys and servers. */
export interface AttackWorld {
  /** Trusted issuer A: RS256 + ES256 + PS256, plus a published RSA-1024 key and a `use: "enc"` key. */
  readonly issuer: TestIssuer;
  /** Trusted issuer B (multi-issuer profile); publishes a key whose kid equals A's RS256 kid. */
  readonly other: TestIssuer;
  readonly rs: TestKey;
  readonly es: TestKey;
  readonly ps: TestKey;
  /** RS256, 1024-bit, published in A's key set. */
  readonly weak: TestKey;
  /** RS256, `use: "enc"`, published in A's key set. */
  readonly enc: TestKey;
  /** B's RS256 key. */
  readonly otherRs: TestKey;
  /**
   * Keys A's key set also lists (first, before the real ones) that must never
   * verify anything. A's key set is fixed once the world is created: it is
   * served through `setJwksKeys`, so later `addKey`/`rotate` calls on A
   * would not show.
   */
  readonly hostile: Readonly<Record<HostileKeyId, HostileKey>>;
  /** Six RS256 keys without kid, served by {@link AttackWorld.crowdedServer} (profile `crowded`). */
  readonly crowded: readonly CrowdedKey[];
  readonly crowdedServer: KeySetServer;
  readonly attackerRs: LocalKey;
  readonly attackerEs: LocalKey;
  /** Serves the attacker's JWKS; the target of `jku`. Must never be contacted. */
  readonly jkuServer: KeySetServer;
  /** Serves the attacker's "certificate"; the target of `x5u`. Must never be contacted. */
  readonly x5uServer: KeySetServer;
  /** A base64 DER-looking self-signed certificate blob of the attacker. */
  readonly attackerCert: string;
  /** Fresh claims acceptable to the default profile (iss A). */
  claims(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts the issuers and the attacker's servers. */
export async function createAttackWorld(): Promise<AttackWorld> {
  const issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256', 'PS256'] });
  const other = await createTestIssuer({ algorithms: ['RS256'], path: '/tenant-b' });
  const rs = issuer.keys.find((k) => k.alg === 'RS256')!;
  const es = issuer.keys.find((k) => k.alg === 'ES256')!;
  const ps = issuer.keys.find((k) => k.alg === 'PS256')!;
  const weak = await issuer.addKey('RS256', { kid: 'weak-rsa-1024', modulusLength: 1024 });
  const enc = await issuer.addKey('RS256', { kid: 'enc-only', use: 'enc' });
  const otherRs = other.keys[0]!;
  // Kid collision across issuers: B publishes its own key under A's kid.
  await other.addKey('RS256', { kid: rs.kid });
  const hostile = createHostileKeys();
  // Hostile keys first. The off-curve EC key passes the parse-time checks and
  // is only found unusable when tried; the core reports the last key tried,
  // so listed after A's ES256 key it would turn ERR_SIGNATURE_INVALID into
  // ERR_KEY_NOT_FOUND for ES256 tokens without kid (ecdsa-psychic, embedded-key).
  issuer.setJwksKeys({
    keys: [...Object.values(hostile).map((k) => k.jwk), ...issuer.jwks().keys],
  });
  const crowded = Array.from({ length: 6 }, (): CrowdedKey => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = pair.publicKey.export({ format: 'jwk' });
    return {
      alg: 'RS256',
      privateKey: pair.privateKey,
      publicJwk: { ...jwk, alg: 'RS256', use: 'sig' },
    };
  });
  const crowdedServer = await createKeySetServer({ keys: crowded.map((k) => k.publicJwk) });
  const attackerRs = localKey('RS256', 'attacker-rsa');
  const attackerEs = localKey('ES256', 'attacker-ec');
  const jkuServer = await createKeySetServer({
    keys: [attackerRs.publicJwk, attackerEs.publicJwk],
  });
  const attackerCert = Buffer.concat([
    Buffer.from([0x30, 0x82, 0x03, 0x0b, 0x30, 0x82, 0x01, 0xf3, 0xa0, 0x03, 0x02, 0x01, 0x02]),
    randomBytes(760),
  ]).toString('base64');
  const x5uServer = await createKeySetServer(
    `-----BEGIN CERTIFICATE-----\n${attackerCert}\n-----END CERTIFICATE-----\n`,
  );
  return {
    issuer,
    other,
    rs,
    es,
    ps,
    weak,
    enc,
    otherRs,
    hostile,
    crowded,
    crowdedServer,
    attackerRs,
    attackerEs,
    jkuServer,
    x5uServer,
    attackerCert,
    claims(extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      return {
        iss: issuer.issuer,
        sub: 'security-suite',
        aud: AUDIENCE,
        client_id: 'security-client',
        scope: 'read:messages',
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        ...extra,
      };
    },
    async close() {
      await Promise.all([
        issuer.close(),
        other.close(),
        crowdedServer.close(),
        jkuServer.close(),
        x5uServer.close(),
      ]);
    },
  };
}

/**
 * Verifier configurations the corpus runs against:
 * - `default`: issuer A, its JWKS URL, the audience; everything else default.
 * - `roomy`: `default` with `maxTokenLength` 64 KiB, so oversized members reach key lookup.
 * - `strict`: `default` with `strict: true` (RFC 9068 `at+jwt`).
 * - `multi`: issuers A and B, each with its own key set.
 * - `crowded`: issuer A with another key set: six RS256 keys, none with a kid.
 */
export type Profile = 'default' | 'roomy' | 'strict' | 'multi' | 'crowded';

export const PROFILES: readonly Profile[] = ['default', 'roomy', 'strict', 'multi', 'crowded'];

/** Verifier options of a profile (also the adapters' options). */
export function profileOptions(world: AttackWorld, profile: Profile): VerifierOptions {
  const base = { issuer: world.issuer.issuer, jwksUri: world.issuer.jwksUri, audience: AUDIENCE };
  switch (profile) {
    case 'default':
      return base;
    case 'roomy':
      return { ...base, maxTokenLength: 64 * 1024 };
    case 'strict':
      return { ...base, strict: true };
    case 'multi':
      return {
        issuer: [
          { issuer: world.issuer.issuer, jwksUri: world.issuer.jwksUri },
          { issuer: world.other.issuer, jwksUri: world.other.jwksUri },
        ],
        audience: AUDIENCE,
      };
    case 'crowded':
      return { ...base, jwksUri: world.crowdedServer.url };
  }
}

/** Tokens each profile must accept: proves rejections are about the attack, not the setup. */
export function controlTokens(world: AttackWorld, profile: Profile): string[] {
  if (profile === 'crowded') {
    // Signed by the first key listed: within the keys tried for a token without kid.
    return [signJws(world.crowded[0]!, { alg: 'RS256', typ: 'at+jwt' }, world.claims())];
  }
  const rsHeader = { alg: 'RS256', kid: world.rs.kid, typ: 'at+jwt' };
  const esHeader = { alg: 'ES256', kid: world.es.kid, typ: 'at+jwt' };
  const tokens = [
    signJws(world.rs, rsHeader, world.claims()),
    signJws(world.es, esHeader, world.claims()),
    signJws(world.ps, { alg: 'PS256', kid: world.ps.kid, typ: 'at+jwt' }, world.claims()),
  ];
  if (profile === 'multi') {
    tokens.push(
      signJws(
        world.otherRs,
        { alg: 'RS256', kid: world.otherRs.kid, typ: 'at+jwt' },
        world.claims({ iss: world.other.issuer }),
      ),
    );
  }
  return tokens;
}

// ---------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------

/** One hostile token: built per run, rejected with 401 `invalid_token` by every entry point. */
export interface AttackCase {
  /** Short group, e.g. `alg-none`, `kid`, `ecdsa-psychic`. */
  readonly category: string;
  /** What the case does; unique. */
  readonly name: string;
  /** Verifier configuration it runs against. */
  readonly profile: Profile;
  /** Acceptable core error codes; any `invalid_token` code when omitted. */
  readonly codes?: readonly JwksAuthErrorCode[];
  /** Open core defect this case demonstrates (the test fails until it is fixed). */
  readonly knownBug?: string;
  readonly build: (world: AttackWorld) => string;
}

type Spec = Omit<AttackCase, 'profile'> & { profile?: Profile };

const cases: AttackCase[] = [];
function add(spec: Spec): void {
  cases.push({ profile: 'default', ...spec });
}

const KEY_NOT_FOUND = ['ERR_KEY_NOT_FOUND'] as const;
const SIGNATURE = ['ERR_SIGNATURE_INVALID'] as const;
const MALFORMED = ['ERR_TOKEN_MALFORMED'] as const;
const ALG = ['ERR_ALG_NOT_ALLOWED'] as const;

function rsHeader(w: AttackWorld, extra: Record<string, unknown> = {}) {
  return { alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt', ...extra };
}
function esHeader(w: AttackWorld, extra: Record<string, unknown> = {}) {
  return { alg: 'ES256', kid: w.es.kid, typ: 'at+jwt', ...extra };
}

// --- alg: none --------------------------------------------------------------
for (const none of ['none', 'None', 'NONE', 'nOnE']) {
  add({
    category: 'alg-none',
    name: `alg "${none}", empty signature`,
    codes: [...MALFORMED, ...ALG],
    build: (w) => forge({ alg: none, typ: 'at+jwt' }, w.claims(), ''),
  });
  add({
    category: 'alg-none',
    name: `alg "${none}", kid of a real key, junk signature`,
    codes: ALG,
    build: (w) => forge({ alg: none, kid: w.rs.kid, typ: 'at+jwt' }, w.claims(), 'AAAA'),
  });
}

// --- HS256 with the RSA public key as the HMAC secret ----------------------
function rsaPublic(w: AttackWorld) {
  return createPublicKey({ key: w.rs.publicJwk as JsonWebKey, format: 'jwk' });
}
const hmacSecrets: Array<[string, (w: AttackWorld) => string]> = [
  ['SPKI PEM', (w) => rsaPublic(w).export({ type: 'spki', format: 'pem' }).toString()],
  ['PKCS#1 PEM', (w) => rsaPublic(w).export({ type: 'pkcs1', format: 'pem' }).toString()],
  ['JWK JSON', (w) => JSON.stringify(w.rs.publicJwk)],
  [
    'JWK JSON (n, e, kty only)',
    (w) => JSON.stringify({ e: w.rs.publicJwk.e, kty: 'RSA', n: w.rs.publicJwk.n }),
  ],
];
for (const [form, secret] of hmacSecrets) {
  for (const alg of ['HS256', 'hs256']) {
    add({
      category: 'alg-confusion',
      name: `${alg} signed with the RSA public key (${form}) as secret`,
      codes: ALG,
      build: (w) => {
        const input = signingInput(rsHeader(w, { alg }), w.claims());
        return `${input}.${b64url(hmacSignature(secret(w), input))}`;
      },
    });
  }
}
add({
  category: 'alg-confusion',
  name: 'ES256 header naming the RSA kid, signed by the RSA key',
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.rs, esHeader(w, { kid: w.rs.kid }), w.claims()),
});
add({
  category: 'alg-confusion',
  name: 'RS256 header naming the EC kid, signed by the EC key',
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.es, rsHeader(w, { kid: w.es.kid }), w.claims()),
});
add({
  category: 'alg-confusion',
  name: 'PS256 header with the RS256 key (alg pinned in the JWK)',
  codes: KEY_NOT_FOUND,
  build: (w) =>
    signJws(
      { alg: 'PS256', privateKey: w.rs.privateKey },
      rsHeader(w, { alg: 'PS256' }),
      w.claims(),
    ),
});
for (const alg of ['RS256 ', 'rs256', 'ES256K', 'EdDSA', 'RSA-OAEP', '']) {
  add({
    category: 'alg-confusion',
    name: `alg ${JSON.stringify(alg)} with a valid RS256 signature`,
    codes: [...ALG, ...KEY_NOT_FOUND],
    build: (w) => signJws(w.rs, rsHeader(w, { alg }), w.claims()),
  });
}
for (const [label, alg] of [
  ['number', 256],
  ['null', null],
  ['array', ['RS256']],
] as const) {
  add({
    category: 'alg-confusion',
    name: `alg as ${label}`,
    codes: [...ALG, ...MALFORMED],
    build: (w) => signJws(w.rs, rsHeader(w, { alg }), w.claims()),
  });
}
add({
  category: 'alg-confusion',
  name: 'alg missing',
  codes: [...ALG, ...MALFORMED],
  build: (w) => signJws(w.rs, omit(rsHeader(w), 'alg'), w.claims()),
});

// --- Keys carried in the token ----------------------------------------------
add({
  category: 'embedded-key',
  name: 'jwk header with the attacker key, no kid',
  codes: SIGNATURE,
  build: (w) =>
    signJws(w.attackerRs, { alg: 'RS256', typ: 'at+jwt', jwk: w.attackerRs.publicJwk }, w.claims()),
});
add({
  category: 'embedded-key',
  name: 'jwk header with the attacker key and its kid',
  codes: KEY_NOT_FOUND,
  build: (w) =>
    signJws(
      w.attackerRs,
      { alg: 'RS256', typ: 'at+jwt', kid: w.attackerRs.kid, jwk: w.attackerRs.publicJwk },
      w.claims(),
    ),
});
add({
  category: 'embedded-key',
  name: 'jwk header with the attacker key under the real kid',
  codes: SIGNATURE,
  build: (w) =>
    signJws(
      w.attackerRs,
      rsHeader(w, { jwk: { ...w.attackerRs.publicJwk, kid: w.rs.kid } }),
      w.claims(),
    ),
});
add({
  category: 'embedded-key',
  name: 'jwk header with an attacker EC key (ES256)',
  codes: SIGNATURE,
  build: (w) =>
    signJws(w.attackerEs, { alg: 'ES256', typ: 'at+jwt', jwk: w.attackerEs.publicJwk }, w.claims()),
});
for (const param of ['jku', 'x5u'] as const) {
  const server = (w: AttackWorld) => (param === 'jku' ? w.jkuServer.url : w.x5uServer.url);
  add({
    category: 'remote-key-url',
    name: `${param} to the attacker server, attacker kid`,
    codes: KEY_NOT_FOUND,
    build: (w) =>
      signJws(
        w.attackerRs,
        { alg: 'RS256', typ: 'at+jwt', kid: w.attackerRs.kid, [param]: server(w) },
        w.claims(),
      ),
  });
  add({
    category: 'remote-key-url',
    name: `${param} to the attacker server, no kid`,
    codes: SIGNATURE,
    build: (w) =>
      signJws(w.attackerRs, { alg: 'RS256', typ: 'at+jwt', [param]: server(w) }, w.claims()),
  });
  add({
    category: 'remote-key-url',
    name: `${param} to the attacker server, real kid`,
    codes: SIGNATURE,
    build: (w) => signJws(w.attackerRs, rsHeader(w, { [param]: server(w) }), w.claims()),
  });
}
add({
  category: 'remote-key-url',
  name: 'jku and x5u together, ES256 attacker key',
  codes: KEY_NOT_FOUND,
  build: (w) =>
    signJws(
      w.attackerEs,
      {
        alg: 'ES256',
        typ: 'at+jwt',
        kid: w.attackerEs.kid,
        jku: w.jkuServer.url,
        x5u: w.x5uServer.url,
      },
      w.claims(),
    ),
});
add({
  category: 'embedded-key',
  name: 'x5c with the attacker certificate, no kid',
  codes: SIGNATURE,
  build: (w) =>
    signJws(w.attackerRs, { alg: 'RS256', typ: 'at+jwt', x5c: [w.attackerCert] }, w.claims()),
});
add({
  category: 'embedded-key',
  name: 'x5c with the attacker certificate, real kid',
  codes: SIGNATURE,
  build: (w) => signJws(w.attackerRs, rsHeader(w, { x5c: [w.attackerCert] }), w.claims()),
});
add({
  category: 'embedded-key',
  name: 'x5c, x5t and x5t#S256 with the attacker certificate',
  codes: SIGNATURE,
  build: (w) =>
    signJws(
      w.attackerRs,
      {
        alg: 'RS256',
        typ: 'at+jwt',
        x5c: [w.attackerCert],
        x5t: b64url(randomBytes(20)),
        'x5t#S256': b64url(randomBytes(32)),
      },
      w.claims(),
    ),
});

// --- kid values ---------------------------------------------------------------
const hostileKids: Array<[string, string]> = [
  ['path traversal', '../../etc/passwd'],
  ['encoded path traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
  ['absolute device path', '/dev/random'],
  ['file URL', 'file:///etc/passwd'],
  ['SQL tautology', "' OR '1'='1"],
  ['SQL statement', '1; DROP TABLE keys;--'],
  ['SQL union', "x' UNION SELECT 'secret' AS k --"],
  ['prototype key __proto__', '__proto__'],
  ['prototype key constructor', 'constructor'],
  ['prototype key toString', 'toString'],
  ['NUL byte', `${'rs256'}\u0000`],
  ['CRLF header injection', 'k\r\nWWW-Authenticate: Basic'],
  ['shell metacharacters', '$(curl http://127.0.0.1:1/x)`id`'],
];
for (const [label, kid] of hostileKids) {
  add({
    category: 'kid',
    name: `kid ${label}`,
    codes: KEY_NOT_FOUND,
    build: (w) => signJws(w.rs, rsHeader(w, { kid }), w.claims()),
  });
}
add({
  category: 'kid',
  name: 'kid of the real key plus a NUL suffix',
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.rs, rsHeader(w, { kid: `${w.rs.kid}\u0000` }), w.claims()),
});
add({
  category: 'kid',
  name: 'kid 10,000 characters (default limit: too large before parsing)',
  codes: ['ERR_TOKEN_TOO_LARGE'],
  build: (w) => signJws(w.rs, rsHeader(w, { kid: 'k'.repeat(10_000) }), w.claims()),
});
add({
  category: 'kid',
  profile: 'roomy',
  name: 'kid 10,000 characters (64 KiB limit: reaches key lookup)',
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.rs, rsHeader(w, { kid: 'k'.repeat(10_000) }), w.claims()),
});
for (const [label, kid] of [
  ['number', 1],
  ['zero', 0],
  ['object', { kid: 'x' }],
  ['array', ['x']],
  ['null', null],
  ['boolean', true],
  ['empty string', ''],
] as const) {
  add({
    category: 'kid',
    name: `kid as ${label}`,
    codes: ['ERR_HEADER_INVALID'],
    build: (w) => signJws(w.rs, rsHeader(w, { kid }), w.claims()),
  });
}

// --- ECDSA "psychic signatures" (CVE-2022-21449 class) ------------------------
const zero = u256(0);
const one = u256(1);
const psychic: Array<[string, Buffer, Buffer]> = [
  ['r = s = 0', zero, zero],
  ['r = s = n', P256_ORDER, P256_ORDER],
  ['r = n, s = 1', P256_ORDER, one],
  ['r = 1, s = n', one, P256_ORDER],
  ['r = 0, s = n', zero, P256_ORDER],
];
for (const [label, r, s] of psychic) {
  add({
    category: 'ecdsa-psychic',
    name: `ES256 ${label}, raw r||s`,
    codes: SIGNATURE,
    build: (w) => forge(esHeader(w), w.claims(), Buffer.concat([r, s])),
  });
  add({
    category: 'ecdsa-psychic',
    name: `ES256 ${label}, DER`,
    codes: SIGNATURE,
    build: (w) => forge(esHeader(w), w.claims(), derEcdsa(r, s)),
  });
}
add({
  category: 'ecdsa-psychic',
  name: 'ES256 all-zero 64 bytes, no kid',
  codes: SIGNATURE,
  build: (w) => forge(omit(esHeader(w), 'kid'), w.claims(), Buffer.alloc(64)),
});
add({
  category: 'ecdsa-psychic',
  name: 'ES256 valid signature re-encoded as DER',
  codes: SIGNATURE,
  build: (w) => {
    const input = signingInput(esHeader(w), w.claims());
    const raw = rawSignature(w.es, input);
    return `${input}.${b64url(derEcdsa(raw.subarray(0, 32), raw.subarray(32)))}`;
  },
});
add({
  category: 'ecdsa-psychic',
  name: 'ES256 valid signature with s replaced by n - s (high-s twin)',
  codes: SIGNATURE,
  // Not a forgery (ECDSA is malleable and JOSE does not forbid high s), so
  // this is signed by the attacker key: what matters is the twin of a
  // foreign signature is still foreign.
  build: (w) => {
    const input = signingInput(esHeader(w), w.claims());
    const raw = rawSignature(w.attackerEs, input);
    const n = BigInt(`0x${P256_ORDER.toString('hex')}`);
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const twin = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
    return `${input}.${b64url(Buffer.concat([raw.subarray(0, 32), twin]))}`;
  },
});

// --- Signature encoding --------------------------------------------------------
add({
  category: 'signature-encoding',
  name: 'signature truncated by one character',
  codes: [...SIGNATURE, ...MALFORMED],
  build: (w) => signJws(w.rs, rsHeader(w), w.claims()).slice(0, -1),
});
add({
  category: 'signature-encoding',
  name: 'signature truncated to half',
  codes: [...SIGNATURE, ...MALFORMED],
  build: (w) => {
    const token = signJws(w.rs, rsHeader(w), w.claims());
    const cut = token.lastIndexOf('.') + 1;
    return token.slice(0, cut + Math.floor((token.length - cut) / 2));
  },
});
add({
  category: 'signature-encoding',
  name: 'signature removed (trailing dot)',
  codes: MALFORMED,
  build: (w) => {
    const token = signJws(w.rs, rsHeader(w), w.claims());
    return token.slice(0, token.lastIndexOf('.') + 1);
  },
});
add({
  category: 'signature-encoding',
  name: 'signature segment dropped (two parts)',
  codes: MALFORMED,
  build: (w) => {
    const token = signJws(w.rs, rsHeader(w), w.claims());
    return token.slice(0, token.lastIndexOf('.'));
  },
});
for (const pad of ['=', '==', '===']) {
  add({
    category: 'signature-encoding',
    name: `valid RS256 token re-padded with "${pad}"`,
    codes: MALFORMED,
    build: (w) => signJws(w.rs, rsHeader(w), w.claims()) + pad,
  });
}
add({
  category: 'signature-encoding',
  name: 'valid ES256 token truncated by one character and re-padded "=="',
  codes: [...MALFORMED, ...SIGNATURE],
  build: (w) => `${signJws(w.es, esHeader(w), w.claims()).slice(0, -1)}==`,
});
add({
  category: 'signature-encoding',
  name: 'signature as standard base64 (+ and /)',
  codes: [...MALFORMED, ...SIGNATURE],
  build: (w) => {
    // Keep signing until the signature contains - or _ so the variant differs.
    for (;;) {
      const token = signJws(w.rs, rsHeader(w), w.claims());
      const dot = token.lastIndexOf('.');
      const sig = token.slice(dot + 1);
      if (/[-_]/.test(sig)) {
        return `${token.slice(0, dot + 1)}${sig.replace(/-/g, '+').replace(/_/g, '/')}`;
      }
    }
  },
});
// Accepted by the core before 9e5b53c (lenient base64url decoding); fixed there
// by core/token.ts isCanonicalBase64url. Kept as a regression case.
add({
  category: 'signature-encoding',
  name: 'valid ES256 signature, non-canonical base64url (same bytes, other text)',
  codes: [...MALFORMED, ...SIGNATURE],
  build: (w) => {
    const token = signJws(w.es, esHeader(w), w.claims());
    const dot = token.lastIndexOf('.');
    return token.slice(0, dot + 1) + nonCanonicalTail(token.slice(dot + 1))!;
  },
});
// Accepted by both engines at 9e5b53c: OpenSSL left-pads a short RSA-PSS
// signature (RFC 8017 §8.1.2 step 1 wants exactly k octets). Fixed in b4f1050
// (core/jws.ts rsaLengthOk). Kept as a regression case.
add({
  category: 'signature-encoding',
  name: 'valid PS256 signature with its leading zero byte stripped (255 of 256 bytes)',
  codes: SIGNATURE,
  build: (w) => {
    // About one signature in 256 starts with 0x00; strip that byte.
    for (;;) {
      const token = signJws(w.ps, { alg: 'PS256', kid: w.ps.kid, typ: 'at+jwt' }, w.claims());
      const dot = token.lastIndexOf('.');
      const sig = Buffer.from(token.slice(dot + 1), 'base64url');
      if (sig[0] === 0) return token.slice(0, dot + 1) + b64url(sig.subarray(1));
    }
  },
});
add({
  category: 'signature-encoding',
  name: 'valid RS256 signature with its leading zero byte stripped (255 of 256 bytes)',
  codes: SIGNATURE,
  build: (w) => {
    for (;;) {
      const token = signJws(w.rs, rsHeader(w), w.claims());
      const dot = token.lastIndexOf('.');
      const sig = Buffer.from(token.slice(dot + 1), 'base64url');
      if (sig[0] === 0) return token.slice(0, dot + 1) + b64url(sig.subarray(1));
    }
  },
});
add({
  category: 'signature-encoding',
  name: 'valid PS256 signature with an extra leading zero byte (257 bytes)',
  codes: SIGNATURE,
  build: (w) => {
    const token = signJws(w.ps, { alg: 'PS256', kid: w.ps.kid, typ: 'at+jwt' }, w.claims());
    const dot = token.lastIndexOf('.');
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    return token.slice(0, dot + 1) + b64url(Buffer.concat([Buffer.from([0]), sig]));
  },
});

// --- Token shape ------------------------------------------------------------------
add({
  category: 'shape',
  name: 'five-part JWE (RSA-OAEP-256 / A256GCM)',
  codes: ['ERR_TOKEN_ENCRYPTED'],
  build: (w) =>
    [
      b64url(JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: w.rs.kid, cty: 'JWT' })),
      b64url(randomBytes(256)),
      b64url(randomBytes(12)),
      b64url(randomBytes(200)),
      b64url(randomBytes(16)),
    ].join('.'),
});
add({
  category: 'shape',
  name: 'five-part JWE (dir, empty encrypted key)',
  codes: ['ERR_TOKEN_ENCRYPTED', ...MALFORMED],
  build: () =>
    [
      b64url(JSON.stringify({ alg: 'dir', enc: 'A128CBC-HS256' })),
      '',
      b64url(randomBytes(16)),
      b64url(randomBytes(64)),
      b64url(randomBytes(16)),
    ].join('.'),
});
add({
  category: 'shape',
  name: 'four segments',
  codes: MALFORMED,
  build: (w) => `${signJws(w.rs, rsHeader(w), w.claims())}.${b64url('extra')}`,
});
add({
  category: 'shape',
  name: 'header segment not JSON',
  codes: MALFORMED,
  build: (w) => `${b64url('{"alg":"RS256"')}.${b64url(JSON.stringify(w.claims()))}.AAAA`,
});
add({
  category: 'shape',
  name: 'header JSON but an array',
  codes: MALFORMED,
  build: (w) => signJws(w.rs, '[{"alg":"RS256"}]', w.claims()),
});
add({
  category: 'shape',
  name: 'header is the JSON string of a header',
  codes: MALFORMED,
  build: (w) => signJws(w.rs, JSON.stringify(JSON.stringify(rsHeader(w))), w.claims()),
});

// --- crit / b64 -----------------------------------------------------------------------
add({
  category: 'crit',
  name: 'unknown crit extension (present)',
  codes: ['ERR_HEADER_INVALID', ...MALFORMED],
  build: (w) =>
    signJws(
      w.rs,
      rsHeader(w, { crit: ['urn:example:policy'], 'urn:example:policy': 'x' }),
      w.claims(),
    ),
});
add({
  category: 'crit',
  name: 'unknown crit extension (absent from the header)',
  codes: ['ERR_HEADER_INVALID', ...MALFORMED],
  build: (w) => signJws(w.rs, rsHeader(w, { crit: ['exp'] }), w.claims()),
});
add({
  category: 'crit',
  name: 'crit naming a registered parameter (alg)',
  codes: ['ERR_HEADER_INVALID', ...MALFORMED],
  build: (w) => signJws(w.rs, rsHeader(w, { crit: ['alg'] }), w.claims()),
});
add({
  category: 'crit',
  name: 'crit as an empty array',
  codes: ['ERR_HEADER_INVALID', ...MALFORMED],
  build: (w) => signJws(w.rs, rsHeader(w, { crit: [] }), w.claims()),
});
add({
  category: 'crit',
  name: 'crit as a string',
  codes: ['ERR_HEADER_INVALID', ...MALFORMED],
  build: (w) => signJws(w.rs, rsHeader(w, { crit: 'b64' }), w.claims()),
});
add({
  category: 'crit',
  name: 'b64: false with crit ["b64"], base64url payload segment',
  codes: ['ERR_HEADER_INVALID', ...MALFORMED],
  build: (w) => signJws(w.rs, rsHeader(w, { b64: false, crit: ['b64'] }), w.claims()),
});

/**
 * RFC 7797 unencoded payload (b64: false): the payload is raw JSON, so the
 * token is not a b64token and the Authorization header path answers 400
 * `invalid_request` before judging it; `verify()` judges it (401).
 */
export function unencodedPayloadToken(w: AttackWorld): string {
  const header = b64url(JSON.stringify(rsHeader(w, { b64: false, crit: ['b64'] })));
  const payload = JSON.stringify({ sub: 'x', aud: AUDIENCE, exp: w.claims().exp });
  const input = `${header}.${payload}`;
  return `${input}.${b64url(rawSignature(w.rs, input))}`;
}

// --- Payloads that are not a claims object ----------------------------------------
const badPayloads: Array<[string, Segment]> = [
  ['not JSON text', 'this is not json'],
  ['truncated JSON', '{"sub":"x","exp":'],
  ['invalid UTF-8 bytes', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d])],
  ['empty', ''],
  ['JSON array', '[{"sub":"x"}]'],
  ['JSON string', '"{\\"sub\\":\\"x\\"}"'],
  ['JSON number', '1234567890'],
  ['JSON null', 'null'],
  ['JSON true', 'true'],
];
for (const [label, payload] of badPayloads) {
  for (const profile of ['default', 'multi'] as const) {
    add({
      category: 'payload',
      profile,
      name: `payload ${label} (${profile})`,
      codes: [...MALFORMED, 'ERR_ISSUER_INVALID'],
      build: (w) => signJws(w.es, esHeader(w), payload),
    });
  }
}

// --- Claims of the wrong type ------------------------------------------------------
// The non-finite NumericDate cases (1e309 → Infinity) were accepted before
// 9e5b53c (jose's jwtVerify only checks typeof number); fixed there by
// core/claims.ts. Kept as regression cases.
const claimCases: Array<[string, (w: AttackWorld) => string, readonly JwksAuthErrorCode[]]> = [
  [
    'exp as a string',
    (w) => JSON.stringify(w.claims({ exp: String(w.claims().exp) })),
    ['ERR_CLAIM_INVALID'],
  ],
  [
    'exp 1e309 (parses to Infinity)',
    (w) => rawClaims(omit(w.claims(), 'exp'), { exp: '1e309' }),
    ['ERR_CLAIM_INVALID', 'ERR_TOKEN_EXPIRED'],
  ],
  [
    'exp 1e400 (parses to Infinity)',
    (w) => rawClaims(omit(w.claims(), 'exp'), { exp: '1e400' }),
    ['ERR_CLAIM_INVALID', 'ERR_TOKEN_EXPIRED'],
  ],
  [
    'exp -1e309 (parses to -Infinity)',
    (w) => rawClaims(omit(w.claims(), 'exp'), { exp: '-1e309' }),
    ['ERR_CLAIM_INVALID', 'ERR_TOKEN_EXPIRED'],
  ],
  [
    'exp negative',
    (w) => JSON.stringify(w.claims({ exp: -1 })),
    ['ERR_TOKEN_EXPIRED', 'ERR_CLAIM_INVALID'],
  ],
  ['exp null', (w) => JSON.stringify(w.claims({ exp: null })), ['ERR_CLAIM_INVALID']],
  [
    'exp as an array',
    (w) => JSON.stringify(w.claims({ exp: [w.claims().exp] })),
    ['ERR_CLAIM_INVALID'],
  ],
  ['exp missing', (w) => JSON.stringify(omit(w.claims(), 'exp')), ['ERR_CLAIM_INVALID']],
  ['nbf as a string', (w) => JSON.stringify(w.claims({ nbf: '0' })), ['ERR_CLAIM_INVALID']],
  [
    'nbf far in the future',
    (w) => JSON.stringify(w.claims({ nbf: Number(w.claims().exp) + 3600 })),
    ['ERR_TOKEN_NOT_YET_VALID'],
  ],
  [
    'nbf -1e309 (parses to -Infinity)',
    (w) => rawClaims(w.claims(), { nbf: '-1e309' }),
    ['ERR_CLAIM_INVALID'],
  ],
  [
    'iat 1e309 (parses to Infinity)',
    (w) => rawClaims(omit(w.claims(), 'iat'), { iat: '1e309' }),
    ['ERR_CLAIM_INVALID'],
  ],
  ['iat as a string', (w) => JSON.stringify(w.claims({ iat: 'now' })), ['ERR_CLAIM_INVALID']],
  [
    'aud as a number',
    (w) => JSON.stringify(w.claims({ aud: 42 })),
    ['ERR_AUDIENCE_INVALID', 'ERR_CLAIM_INVALID'],
  ],
  [
    'aud as an array of numbers',
    (w) => JSON.stringify(w.claims({ aud: [42] })),
    ['ERR_AUDIENCE_INVALID', 'ERR_CLAIM_INVALID'],
  ],
  [
    'aud as an object',
    (w) => JSON.stringify(w.claims({ aud: { [AUDIENCE]: true } })),
    ['ERR_AUDIENCE_INVALID', 'ERR_CLAIM_INVALID'],
  ],
  [
    'aud for another API',
    (w) => JSON.stringify(w.claims({ aud: 'https://other.example.test' })),
    ['ERR_AUDIENCE_INVALID'],
  ],
  [
    'iss as an array',
    (w) => JSON.stringify(w.claims({ iss: [w.issuer.issuer] })),
    ['ERR_ISSUER_INVALID', 'ERR_CLAIM_INVALID'],
  ],
  [
    'iss with a trailing slash',
    (w) => JSON.stringify(w.claims({ iss: `${w.issuer.issuer}/` })),
    ['ERR_ISSUER_INVALID'],
  ],
  [
    'iss missing',
    (w) => JSON.stringify(omit(w.claims(), 'iss')),
    ['ERR_ISSUER_INVALID', 'ERR_CLAIM_INVALID'],
  ],
];
for (const [label, payload, codes] of claimCases) {
  add({
    category: 'claims',
    name: `claim ${label}`,
    codes,
    build: (w) => signJws(w.es, esHeader(w), payload(w)),
  });
}

// --- Duplicate header members (JSON.parse keeps the last) ---------------------------
function dupHeader(first: Record<string, unknown>, last: Record<string, unknown>): string {
  const inner = (o: Record<string, unknown>) => JSON.stringify(o).slice(1, -1);
  return `{${inner(first)},${inner(last)}}`;
}
add({
  category: 'duplicate-header',
  name: 'alg HS256 then RS256, HMAC signature made for the first reading',
  codes: SIGNATURE,
  build: (w) => {
    const secret = rsaPublic(w).export({ type: 'spki', format: 'pem' }).toString();
    const header = dupHeader({ alg: 'HS256' }, { alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt' });
    const input = signingInput(header, w.claims());
    return `${input}.${b64url(hmacSignature(secret, input))}`;
  },
});
add({
  category: 'duplicate-header',
  name: 'alg RS256 then HS256, HMAC signature made for the last reading',
  codes: ALG,
  build: (w) => {
    const secret = rsaPublic(w).export({ type: 'spki', format: 'pem' }).toString();
    const header = dupHeader({ alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt' }, { alg: 'HS256' });
    const input = signingInput(header, w.claims());
    return `${input}.${b64url(hmacSignature(secret, input))}`;
  },
});
add({
  category: 'duplicate-header',
  name: 'alg RS256 then none',
  codes: ALG,
  build: (w) =>
    signJws(
      w.rs,
      dupHeader({ alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt' }, { alg: 'none' }),
      w.claims(),
    ),
});
add({
  category: 'duplicate-header',
  name: 'alg/kid ES256 then RS256, signed by the ES256 key (the first reading)',
  codes: SIGNATURE,
  build: (w) =>
    signJws(
      w.es,
      dupHeader({ alg: 'ES256', kid: w.es.kid }, { alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt' }),
      w.claims(),
    ),
});
add({
  category: 'duplicate-header',
  name: 'kid attacker then real, signed by the attacker (first reading)',
  codes: SIGNATURE,
  build: (w) =>
    signJws(
      w.attackerRs,
      dupHeader({ kid: w.attackerRs.kid }, { alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt' }),
      w.claims(),
    ),
});
add({
  category: 'duplicate-header',
  name: 'kid real then attacker, signed by the attacker (last reading)',
  codes: KEY_NOT_FOUND,
  build: (w) =>
    signJws(
      w.attackerRs,
      dupHeader({ alg: 'RS256', kid: w.rs.kid, typ: 'at+jwt' }, { kid: w.attackerRs.kid }),
      w.claims(),
    ),
});
add({
  category: 'duplicate-header',
  profile: 'strict',
  name: 'typ at+jwt then JWT (strict)',
  codes: ['ERR_TYP_INVALID'],
  build: (w) =>
    signJws(
      w.rs,
      dupHeader({ typ: 'at+jwt' }, { alg: 'RS256', kid: w.rs.kid, typ: 'JWT' }),
      w.claims(),
    ),
});

// --- Size ---------------------------------------------------------------------------------
add({
  category: 'size',
  name: 'header of 20 KB, validly signed (default limit)',
  codes: ['ERR_TOKEN_TOO_LARGE'],
  build: (w) => signJws(w.rs, rsHeader(w, { pad: 'x'.repeat(20_000) }), w.claims()),
});
add({
  category: 'size',
  profile: 'roomy',
  name: 'header of 20 KB, signed by the attacker (64 KiB limit)',
  codes: SIGNATURE,
  build: (w) => signJws(w.attackerRs, rsHeader(w, { pad: 'x'.repeat(20_000) }), w.claims()),
});
add({
  category: 'size',
  name: '9,000 characters of garbage (too large, not malformed)',
  codes: ['ERR_TOKEN_TOO_LARGE'],
  build: () => 'a'.repeat(9000),
});
add({
  category: 'size',
  name: 'payload of 40 KB, validly signed (default limit)',
  codes: ['ERR_TOKEN_TOO_LARGE'],
  build: (w) => signJws(w.es, esHeader(w), w.claims({ pad: 'y'.repeat(40_000) })),
});

// --- Keys the key set lists but must not be used -----------------------------------------
add({
  category: 'weak-key',
  name: 'RS256 by an RSA-1024 key present in the key set (kid)',
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.weak, rsHeader(w, { kid: w.weak.kid }), w.claims()),
});
add({
  category: 'weak-key',
  name: 'RS256 by an RSA-1024 key present in the key set (no kid)',
  codes: SIGNATURE,
  build: (w) => signJws(w.weak, omit(rsHeader(w), 'kid'), w.claims()),
});
add({
  category: 'weak-key',
  name: 'RS256 by a key published with use "enc" (kid)',
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.enc, rsHeader(w, { kid: w.enc.kid }), w.claims()),
});
add({
  category: 'weak-key',
  name: 'RS256 by a key published with use "enc" (no kid)',
  codes: SIGNATURE,
  build: (w) => signJws(w.enc, omit(rsHeader(w), 'kid'), w.claims()),
});

// --- Hostile keys in the trusted key set -------------------------------------------------
// Issuer A's key set lists each of these (`world.hostile`): the verifier must
// drop them when it parses the set (core jwk-judge.ts `judgeJwk`) or, for a point
// off its curve, find them unusable. Each token names its key's kid and,
// where one exists, carries a signature the published JWK really verifies
// (`HostileKey.wouldVerify`), so accepting the key would accept the token.
function hostileToken(w: AttackWorld, id: HostileKeyId, withKid = true): string {
  const key = w.hostile[id];
  const header = { alg: key.alg, ...(withKid ? { kid: key.kid } : {}), typ: 'at+jwt' };
  for (;;) {
    const input = signingInput(header, w.claims());
    const signature = key.sign(input);
    if (signature !== undefined) return `${input}.${b64url(signature)}`;
  }
}
const hostileKeyCases: Array<[HostileKeyId, string, readonly JwksAuthErrorCode[]]> = [
  [
    'rsaE1',
    'RSA e = 1 with a 2048-bit n, forged RS256: the EMSA-PKCS1-v1_5 block as its own signature',
    KEY_NOT_FOUND,
  ],
  [
    'rsaEvenE',
    'RSA even exponent 2 × 65537, RS256 signature forged as a square root',
    KEY_NOT_FOUND,
  ],
  ['rsaHugeE', 'RSA exponent of 9 bytes, signed with its private exponent', KEY_NOT_FOUND],
  ['rsaLeadingZeroN', 'RSA n of a real key with a leading zero byte', KEY_NOT_FOUND],
  ['rsaHugeN', 'RSA modulus of 16,392 bits (random bytes), random signature', KEY_NOT_FOUND],
  ['ecOffCurve', 'EC P-256 point off the curve (random x, y)', KEY_NOT_FOUND],
  ['ecPaddedX', 'EC P-256 x of 33 bytes (a real key, zero-padded)', KEY_NOT_FOUND],
  ['ecShortX', 'EC P-256 x of 31 bytes (a real key, leading zero byte dropped)', KEY_NOT_FOUND],
  ['okpEd448', 'OKP Ed448 key, EdDSA', KEY_NOT_FOUND],
  ['rsaPrivateD', 'RSA private JWK (d, p, q, dp, dq, qi) published', KEY_NOT_FOUND],
  ['octK', 'oct key with "k" published, HS256 with that secret', [...ALG, ...KEY_NOT_FOUND]],
  ['rsaKeyOpsEncrypt', 'RSA key with key_ops ["encrypt"]', KEY_NOT_FOUND],
  ['rsaNNumber', 'RSA "n" as a JSON number', KEY_NOT_FOUND],
  ['rsaDeepMember', 'RSA key with an unregistered member nested 20 deep', KEY_NOT_FOUND],
];
for (const [id, label, codes] of hostileKeyCases) {
  add({
    category: 'hostile-key',
    name: `key set lists ${label} (its kid)`,
    codes,
    build: (w) => hostileToken(w, id),
  });
}
add({
  category: 'hostile-key',
  name: 'key set lists RSA e = 1, forged RS256 without kid (only the real RS256 key is tried)',
  codes: SIGNATURE,
  build: (w) => hostileToken(w, 'rsaE1', false),
});
add({
  category: 'hostile-key',
  profile: 'crowded',
  name: 'no kid, six RS256 keys match, random signature (more than 4 candidates)',
  codes: ['ERR_TOO_MANY_KEYS'],
  build: (w) => {
    const signature = randomBytes(256);
    signature[0] = 0; // below every 2048-bit modulus
    return forge({ alg: 'RS256', typ: 'at+jwt' }, w.claims(), signature);
  },
});

// --- Multi-issuer -------------------------------------------------------------------------------
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: "A's key, iss B, A's kid (B publishes its own key under that kid)",
  codes: SIGNATURE,
  build: (w) => signJws(w.rs, rsHeader(w), w.claims({ iss: w.other.issuer })),
});
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: "A's key, iss B, no kid",
  codes: SIGNATURE,
  build: (w) => signJws(w.rs, omit(rsHeader(w), 'kid'), w.claims({ iss: w.other.issuer })),
});
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: "A's ES256 key, iss B (B has no EC key)",
  codes: KEY_NOT_FOUND,
  build: (w) => signJws(w.es, esHeader(w), w.claims({ iss: w.other.issuer })),
});
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: "B's key, iss A",
  codes: KEY_NOT_FOUND,
  build: (w) =>
    signJws(w.otherRs, rsHeader(w, { kid: w.otherRs.kid }), w.claims({ iss: w.issuer.issuer })),
});
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: 'untrusted iss',
  codes: ['ERR_ISSUER_INVALID'],
  build: (w) => signJws(w.rs, rsHeader(w), w.claims({ iss: 'https://evil.example.test' })),
});
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: 'iss as an array naming B',
  codes: ['ERR_ISSUER_INVALID'],
  build: (w) => signJws(w.rs, rsHeader(w), w.claims({ iss: [w.other.issuer] })),
});
add({
  category: 'multi-issuer',
  profile: 'multi',
  name: 'iss missing',
  codes: ['ERR_ISSUER_INVALID'],
  build: (w) => signJws(w.rs, rsHeader(w), omit(w.claims(), 'iss')),
});

// --- Token type (strict: RFC 9068) ------------------------------------------------------------
add({
  category: 'token-type',
  profile: 'strict',
  name: 'ID token (typ JWT, nonce, aud = client) where at+jwt is required',
  codes: ['ERR_TYP_INVALID'],
  build: (w) =>
    signJws(
      w.rs,
      rsHeader(w, { typ: 'JWT' }),
      w.claims({ nonce: 'n-0S6_WzA2Mj', azp: 'security-client', aud: AUDIENCE }),
    ),
});
add({
  category: 'token-type',
  profile: 'strict',
  name: 'typ missing',
  codes: ['ERR_TYP_INVALID'],
  build: (w) => signJws(w.rs, omit(rsHeader(w), 'typ'), w.claims()),
});
add({
  category: 'token-type',
  profile: 'strict',
  name: 'typ "application/jwt"',
  codes: ['ERR_TYP_INVALID'],
  build: (w) => signJws(w.rs, rsHeader(w, { typ: 'application/jwt' }), w.claims()),
});
add({
  category: 'token-type',
  profile: 'strict',
  name: 'typ "at+jwt" without client_id and jti',
  codes: ['ERR_CLAIM_INVALID'],
  build: (w) => signJws(w.rs, rsHeader(w), omit(w.claims(), 'client_id', 'jti')),
});
add({
  category: 'token-type',
  profile: 'strict',
  name: 'typ "at+jwt" without sub',
  codes: ['ERR_CLAIM_INVALID'],
  build: (w) => signJws(w.rs, rsHeader(w), omit(w.claims(), 'sub')),
});

/** Every attack case, in a stable order. */
export const ATTACKS: readonly AttackCase[] = Object.freeze(cases);

/** Case counts per category. */
export function countByCategory(list: readonly AttackCase[] = ATTACKS): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of list) out[c.category] = (out[c.category] ?? 0) + 1;
  return out;
}

{
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate attack case name: ${c.name}`);
    names.add(c.name);
  }
}

// ---------------------------------------------------------------------------
// Mutations (fuzzing)
// ---------------------------------------------------------------------------

/** Integer inputs a mutation draws from (fast-check supplies them). */
export interface MutationInput {
  /** Any non-negative integer; each mutation reduces it modulo what it needs. */
  a: number;
  b: number;
  /** Replacement text (a character, a fragment). */
  text: string;
  /** Another valid token, for splicing. */
  other: string;
}

function parts(token: string): string[] {
  return token.split('.');
}

function reencode(segment: string, change: (json: Record<string, unknown>) => void): string {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    change(value);
    return b64url(JSON.stringify(value));
  } catch {
    return segment;
  }
}

/** Ways to damage a valid token. Each returns a string that may or may not still be a token. */
export const MUTATIONS: Readonly<Record<string, (token: string, m: MutationInput) => string>> = {
  flipChar(token, { a, text }) {
    const i = a % token.length;
    return token.slice(0, i) + (text[0] ?? 'A') + token.slice(i + 1);
  },
  flipBit(token, { a, b }) {
    const i = a % token.length;
    const code = token.charCodeAt(i) ^ (1 << (b % 7));
    return token.slice(0, i) + String.fromCharCode(code) + token.slice(i + 1);
  },
  cut(token, { a }) {
    return token.slice(0, a % token.length);
  },
  cutMiddle(token, { a, b }) {
    const i = a % token.length;
    return token.slice(0, i) + token.slice(i + 1 + (b % 8));
  },
  insert(token, { a, text }) {
    const i = a % (token.length + 1);
    return token.slice(0, i) + text + token.slice(i);
  },
  reorderSegments(token, { a }) {
    const p = parts(token);
    const orders = [
      [1, 0, 2],
      [0, 2, 1],
      [2, 1, 0],
      [1, 2, 0],
      [2, 0, 1],
    ];
    const order = orders[a % orders.length]!;
    return order.map((i) => p[i] ?? '').join('.');
  },
  duplicateSegment(token, { a }) {
    const p = parts(token);
    const i = a % p.length;
    p.splice(i, 0, p[i]!);
    return p.join('.');
  },
  dropSegment(token, { a }) {
    const p = parts(token);
    p.splice(a % p.length, 1);
    return p.join('.');
  },
  swapHeader(token, { other }) {
    const p = parts(token);
    p[0] = parts(other)[0]!;
    return p.join('.');
  },
  swapPayload(token, { other }) {
    const p = parts(token);
    p[1] = parts(other)[1]!;
    return p.join('.');
  },
  swapSignature(token, { other }) {
    const p = parts(token);
    p[2] = parts(other)[2]!;
    return p.join('.');
  },
  changeAlg(token, { a }) {
    const algs = ['none', 'HS256', 'RS256', 'ES256', 'PS256', 'RS512', 'EdDSA', 'ES512', 'nOnE'];
    const p = parts(token);
    p[0] = reencode(p[0]!, (h) => {
      h.alg = algs[a % algs.length];
    });
    return p.join('.');
  },
  changeKid(token, { text }) {
    const p = parts(token);
    p[0] = reencode(p[0]!, (h) => {
      h.kid = text;
    });
    return p.join('.');
  },
  changeClaim(token, { a, text }) {
    const claims = ['iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'scope'];
    const p = parts(token);
    p[1] = reencode(p[1]!, (c) => {
      c[claims[a % claims.length]!] = a % 2 === 0 ? text : Number(text.length) * 1e9;
    });
    return p.join('.');
  },
  reencodePayload(token) {
    // Same claims, different JSON text (whitespace): the signature no longer matches.
    const p = parts(token);
    try {
      const json = JSON.parse(Buffer.from(p[1]!, 'base64url').toString('utf8')) as unknown;
      p[1] = b64url(JSON.stringify(json, null, 1));
    } catch {
      /* leave as is */
    }
    return p.join('.');
  },
  padSegment(token, { a, b }) {
    const p = parts(token);
    const i = a % p.length;
    p[i] = `${p[i]}${'='.repeat(1 + (b % 3))}`;
    return p.join('.');
  },
  nonCanonical(token, { a }) {
    const p = parts(token);
    const i = a % p.length;
    p[i] = nonCanonicalTail(p[i]!) ?? p[i]!;
    return p.join('.');
  },
  caseFlip(token, { a }) {
    const i = a % token.length;
    const c = token[i]!;
    const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
    return token.slice(0, i) + flipped + token.slice(i + 1);
  },
  stripSignature(token) {
    return token.slice(0, token.lastIndexOf('.') + 1);
  },
};

/** Names of {@link MUTATIONS}. */
export const MUTATION_NAMES = Object.keys(MUTATIONS);
