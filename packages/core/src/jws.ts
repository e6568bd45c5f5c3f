import { nodeCrypto } from './platform.js';
import type { KeyObject } from 'node:crypto';
import { ALGORITHMS, DIGEST_BYTES, SUPPORTED_ALGORITHMS } from './algorithms.js';
import type { Algorithm, AlgorithmSpec } from './algorithms.js';
import { InvalidTokenError } from './errors.js';

const { constants, verify: cryptoVerify } = nodeCrypto;

type Check = (data: Buffer, key: KeyObject, signature: Buffer) => boolean;

const modulusBytes = new WeakMap<KeyObject, number>();

/**
 * OpenSSL left-pads a short RSA signature; WebCrypto (and so jose) refuses
 * it. Requiring the exact modulus length keeps one byte string per signature.
 */
export function rsaLengthOk(key: KeyObject, signature: Buffer): boolean {
  let bytes = modulusBytes.get(key);
  if (bytes === undefined) {
    bytes = ((key.asymmetricKeyDetails?.modulusLength ?? 0) + 7) >> 3;
    modulusBytes.set(key, bytes);
  }
  return signature.length === bytes;
}

function rsa(hash: string): Check {
  return (data, key, signature) =>
    rsaLengthOk(key, signature) &&
    cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
}

function pss(hash: string, saltLength: number): Check {
  return (data, key, signature) =>
    rsaLengthOk(key, signature) &&
    cryptoVerify(
      hash,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
      signature,
    );
}

function ecdsa(hash: string, size: number): Check {
  // JWS carries r||s (RFC 7518 §3.4); any other length is not a signature.
  return (data, key, signature) =>
    signature.length === size * 2 &&
    cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

function eddsa(size: number): Check {
  // R||S (RFC 8032 §5.1.6): 64 bytes for Ed25519.
  return (data, key, signature) =>
    signature.length === size * 2 && cryptoVerify(null, data, key, signature);
}

function checkFor(spec: AlgorithmSpec): Check {
  switch (spec.kty) {
    case 'RSA':
      return spec.pss ? pss(spec.hash, DIGEST_BYTES[spec.hash]) : rsa(spec.hash);
    case 'EC':
      return ecdsa(spec.hash, spec.bytes);
    case 'OKP':
      return eddsa(spec.bytes);
  }
}

/** The signature check of each algorithm, made from its row of the table at module load. */
const CHECKS = Object.fromEntries(
  SUPPORTED_ALGORITHMS.map((alg) => [alg, checkFor(ALGORITHMS[alg])]),
) as Record<Algorithm, Check>;

const RECOGNIZED_CRIT = new Set(['b64']);

/**
 * The `crit` and `b64` rules jose applies to a compact JWT (RFC 7515 §4.1.11,
 * RFC 7797): `crit` is a non-empty list of recognised, present parameters,
 * and a JWT payload must be base64url-encoded.
 */
export function checkCritical(header: Record<string, unknown>): void {
  const { crit } = header;
  if (crit === undefined) return;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((c) => typeof c !== 'string' || c.length === 0)
  ) {
    throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token crit header is malformed');
  }
  for (const name of crit as string[]) {
    if (!RECOGNIZED_CRIT.has(name)) {
      throw new InvalidTokenError(
        'ERR_HEADER_INVALID',
        'the token uses an unsupported header parameter',
      );
    }
    if (!Object.hasOwn(header, name) || header[name] === undefined) {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token crit header is malformed');
    }
  }
  if (crit.includes('b64') && header.b64 !== true) {
    throw new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      'the token payload must be base64url-encoded',
    );
  }
}

/**
 * Checks a compact JWS signature synchronously with `node:crypto`. The
 * signing input is the ASCII text before the last dot, exactly as signed.
 */
export function verifySignature(
  alg: Algorithm,
  key: KeyObject,
  token: string,
  lastDot: number,
): boolean {
  const data = Buffer.from(token.slice(0, lastDot), 'latin1');
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  try {
    return CHECKS[alg](data, key, signature);
  } catch {
    return false;
  }
}
