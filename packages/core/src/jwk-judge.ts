/**
 * Judging one JWK of a fetched key set: whether the verifier may use it
 * (member types, no private members, `use`/`key_ops`/`alg`, key parameters),
 * for which algorithms, and its canonical identity. Runs once per key when a
 * key set is parsed, never per request.
 */
import { ALGORITHMS, SUPPORTED_ALGORITHMS, algorithmsFor } from './algorithms.js';
import type { Algorithm } from './algorithms.js';
import { base64urlBytes } from './platform.js';
import { isCanonicalBase64url } from './token.js';

/** RSA moduli outside this range (bits) are never used, even when the key set lists them. */
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 16384;
/** Largest RSA public exponent accepted, in bytes (65537 takes 3). */
const MAX_RSA_EXPONENT_BYTES = 8;

/*
 * What each key type verifies, from the algorithm table: an RSA key every RS
 * and PS algorithm, an EC key the one algorithm of its curve, an Ed25519 key
 * both names of EdDSA.
 */
const RSA_ALGS: readonly Algorithm[] = algorithmsFor('RSA');
const EC_CURVES: Record<string, { alg: Algorithm; bytes: number }> = Object.create(null) as never;
for (const alg of SUPPORTED_ALGORITHMS) {
  const spec = ALGORITHMS[alg];
  if (spec.kty === 'EC') EC_CURVES[spec.crv] = { alg, bytes: spec.bytes };
}
const EDDSA_ALGS: readonly Algorithm[] = algorithmsFor('OKP');
const ED25519 = ALGORITHMS.Ed25519;

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Registered members that must be strings when present (RFC 7517 §4, RFC 7518 §6). */
const STRING_MEMBERS = [
  'kty',
  'use',
  'alg',
  'kid',
  'crv',
  'n',
  'e',
  'x',
  'y',
  'x5u',
  'x5t',
  'x5t#S256',
];
/** Registered members that must be arrays of strings when present. */
const STRING_ARRAY_MEMBERS = ['key_ops', 'x5c'];
/** How deep an unregistered member may nest before the key is dropped. */
const MAX_MEMBER_DEPTH = 8;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes a base64url member only when it is the one canonical spelling of
 * its bytes (no padding, no unused bits), so two spellings never make two keys.
 */
function canonicalBytes(value: string): Uint8Array | undefined {
  if (value.length === 0 || value.length % 4 === 1 || !BASE64URL.test(value)) return undefined;
  return isCanonicalBase64url(value) ? base64urlBytes(value) : undefined;
}

/**
 * Serialises an unregistered member with sorted object keys, or returns
 * undefined when it nests deeper than {@link MAX_MEMBER_DEPTH} (a deeply
 * nested member must not cost a stack overflow at every refresh).
 */
function canonicalJson(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (depth >= MAX_MEMBER_DEPTH) return undefined;
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const part = canonicalJson(item, depth + 1);
      if (part === undefined) return undefined;
      parts.push(part);
    }
    return `[${parts.join(',')}]`;
  }
  for (const name of Object.keys(value).sort()) {
    const part = canonicalJson((value as Record<string, unknown>)[name], depth + 1);
    if (part === undefined) return undefined;
    parts.push(`${JSON.stringify(name)}:${part}`);
  }
  return `{${parts.join(',')}}`;
}

/** Why a JWK is refused, or the algorithms it may verify. */
export type JwkVerdict =
  { ok: true; algorithms: readonly Algorithm[]; identity: string } | { ok: false; reason: string };

function refuse(reason: string): JwkVerdict {
  return { ok: false, reason };
}

function rsaAlgorithms(jwk: Record<string, unknown>): readonly Algorithm[] | string {
  const n = typeof jwk.n === 'string' ? canonicalBytes(jwk.n) : undefined;
  const e = typeof jwk.e === 'string' ? canonicalBytes(jwk.e) : undefined;
  if (n === undefined || e === undefined) return 'RSA "n" and "e" must be canonical base64url';
  if (n[0] === 0 || e[0] === 0) return 'RSA "n" and "e" must not have leading zero bytes';
  const bits = (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
  if (bits < MIN_RSA_BITS) return `RSA modulus of ${bits} bits is below ${MIN_RSA_BITS}`;
  if (bits > MAX_RSA_BITS) return `RSA modulus of ${bits} bits is above ${MAX_RSA_BITS}`;
  if ((n[n.length - 1]! & 1) === 0) return 'RSA modulus is even';
  if (e.length > MAX_RSA_EXPONENT_BYTES) return 'RSA public exponent is too large';
  if ((e[e.length - 1]! & 1) === 0) return 'RSA public exponent is even';
  if (e.length === 1 && e[0]! < 3) return 'RSA public exponent is below 3';
  return RSA_ALGS;
}

function ecAlgorithms(jwk: Record<string, unknown>): readonly Algorithm[] | string {
  const curve = typeof jwk.crv === 'string' ? EC_CURVES[jwk.crv] : undefined;
  if (curve === undefined) return 'EC "crv" must be P-256, P-384 or P-521';
  const x = typeof jwk.x === 'string' ? canonicalBytes(jwk.x) : undefined;
  const y = typeof jwk.y === 'string' ? canonicalBytes(jwk.y) : undefined;
  if (x?.length !== curve.bytes || y?.length !== curve.bytes) {
    return `EC "x" and "y" must be ${curve.bytes} bytes of canonical base64url`;
  }
  // Whether the point lies on the curve is checked when the key is imported.
  return [curve.alg];
}

function okpAlgorithms(jwk: Record<string, unknown>): readonly Algorithm[] | string {
  if (jwk.crv !== ED25519.crv) return 'OKP "crv" must be Ed25519';
  const x = typeof jwk.x === 'string' ? canonicalBytes(jwk.x) : undefined;
  if (x?.length !== ED25519.bytes) {
    return `Ed25519 "x" must be ${ED25519.bytes} bytes of canonical base64url`;
  }
  return EDDSA_ALGS;
}

/**
 * Judges one member of a key set's `keys` array, as the verifier sees it:
 * member types, private members, `use`/`key_ops`/`alg`, and the key
 * parameters (RSA modulus 2048 to 16384 bits and an odd exponent from 3 to
 * 64 bits, EC coordinates of the curve's size, Ed25519 only for OKP). Run
 * once when a key set is parsed; nothing here runs per request.
 */
export function judgeJwk(value: unknown): JwkVerdict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse('not a JSON object');
  }
  const jwk = value as Record<string, unknown>;
  for (const name of STRING_MEMBERS) {
    if (jwk[name] !== undefined && typeof jwk[name] !== 'string') {
      return refuse(`"${name}" must be a string`);
    }
  }
  for (const name of STRING_ARRAY_MEMBERS) {
    const member = jwk[name];
    if (
      member !== undefined &&
      !(Array.isArray(member) && member.every((m) => typeof m === 'string'))
    ) {
      return refuse(`"${name}" must be an array of strings`);
    }
  }
  for (const name of PRIVATE_MEMBERS) {
    if (jwk[name] !== undefined) return refuse(`private member "${name}" present`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') return refuse('"use" is not "sig"');
  const ops = jwk.key_ops as string[] | undefined;
  if (ops !== undefined && !ops.includes('verify')) return refuse('"key_ops" lacks "verify"');

  const found =
    jwk.kty === 'RSA'
      ? rsaAlgorithms(jwk)
      : jwk.kty === 'EC'
        ? ecAlgorithms(jwk)
        : jwk.kty === 'OKP'
          ? okpAlgorithms(jwk)
          : `unsupported "kty" ${JSON.stringify(jwk.kty)}`;
  if (typeof found === 'string') return refuse(found);
  let algorithms = found;
  if (jwk.alg !== undefined) {
    const alg = jwk.alg as Algorithm;
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg) || !found.includes(alg)) {
      return refuse(`"alg" ${JSON.stringify(jwk.alg)} does not fit the key`);
    }
    algorithms = found === EDDSA_ALGS ? EDDSA_ALGS : [alg];
  }
  const identity = canonicalJson(jwk, 0);
  if (identity === undefined) return refuse('a member nests too deeply');
  return { ok: true, algorithms, identity };
}
