import { constants, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { InvalidTokenError } from './errors.js';
import type { Algorithm } from './options.js';

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

const eddsa: Check = (data, key, signature) =>
  signature.length === 64 && cryptoVerify(null, data, key, signature);

const CHECKS: Record<Algorithm, Check> = {
  RS256: rsa('sha256'),
  RS384: rsa('sha384'),
  RS512: rsa('sha512'),
  PS256: pss('sha256', 32),
  PS384: pss('sha384', 48),
  PS512: pss('sha512', 64),
  ES256: ecdsa('sha256', 32),
  ES384: ecdsa('sha384', 48),
  ES512: ecdsa('sha512', 66),
  EdDSA: eddsa,
  Ed25519: eddsa,
};

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
