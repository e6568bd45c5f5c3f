import { createPublicKey } from 'node:crypto';
import type { JsonWebKey, KeyObject, webcrypto } from 'node:crypto';
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import type { Algorithm } from './options.js';

type WebCryptoKey = webcrypto.CryptoKey;

/** kty (and crv) each algorithm needs; mirrors RFC 7518 §3 and jose's table. */
const KEY_TYPES: Record<Algorithm, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
};

/** RSA keys below this many bits are never used, even when the key set lists them. */
const MIN_RSA_BITS = 2048;

/**
 * One public key of a fetched key set. `alive` turns false when a refresh no
 * longer lists it, which invalidates cached tokens it verified.
 */
export class KeyRecord {
  alive = true;
  readonly kid: string | undefined;
  private readonly imported = new Map<string, Promise<WebCryptoKey>>();
  private nodeKey: KeyObject | null | undefined;

  constructor(readonly jwk: Readonly<JWK>) {
    this.kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  }

  /** Whether this key may verify a signature made with `alg` (kty, crv, alg, use, key_ops). */
  usableFor(alg: Algorithm): boolean {
    const { jwk } = this;
    const need = KEY_TYPES[alg];
    if (jwk.kty !== need.kty) return false;
    if (need.crv !== undefined && jwk.crv !== need.crv) return false;
    if (jwk.alg !== undefined && jwk.alg !== alg && !(isEdDSA(jwk.alg) && isEdDSA(alg))) {
      return false;
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') return false;
    const ops = jwk.key_ops;
    if (ops !== undefined && (!Array.isArray(ops) || !ops.includes('verify'))) return false;
    if (jwk.d !== undefined || jwk.k !== undefined) return false;
    if (need.kty === 'RSA' && rsaBits(jwk.n) < MIN_RSA_BITS) return false;
    return true;
  }

  /** The WebCrypto key for `alg`, imported once and reused. */
  cryptoKey(alg: Algorithm): Promise<WebCryptoKey> {
    let key = this.imported.get(alg);
    if (key === undefined) {
      key = importJWK({ ...this.jwk, ext: true }, alg) as Promise<WebCryptoKey>;
      // A key that fails to import is simply unusable; do not retry on every request.
      this.imported.set(alg, key);
    }
    return key;
  }

  /**
   * The `node:crypto` public key, made once; `null` when the JWK does not
   * import or is weaker than allowed (RSA under 2048 bits).
   */
  keyObject(): KeyObject | null {
    if (this.nodeKey === undefined) {
      try {
        const key = createPublicKey({ key: { ...this.jwk } as JsonWebKey, format: 'jwk' });
        const bits = key.asymmetricKeyDetails?.modulusLength;
        this.nodeKey =
          key.type === 'public' && (key.asymmetricKeyType !== 'rsa' || (bits ?? 0) >= MIN_RSA_BITS)
            ? key
            : null;
      } catch {
        this.nodeKey = null;
      }
    }
    return this.nodeKey;
  }

  /** Stable identity used to carry cached imports across refreshes. */
  get identity(): string {
    const { kty, kid, n, e, x, y, crv, alg, use } = this.jwk;
    return JSON.stringify([kty, kid, n, e, x, y, crv, alg, use, this.jwk.key_ops]);
  }
}

function isEdDSA(alg: string): boolean {
  return alg === 'EdDSA' || alg === 'Ed25519';
}

function rsaBits(n: unknown): number {
  if (typeof n !== 'string') return 0;
  // base64url: 4 chars carry 3 bytes; ignore leading zero bytes is unnecessary for a lower bound.
  const bytes = Math.floor((n.replace(/=+$/, '').length * 3) / 4);
  return bytes * 8;
}

/**
 * Most keys one token is tried against. A token without a `kid` (or with a
 * `kid` the set repeats) matches every key of its type; without a cap, a
 * forged token against a large key set would cost one signature check per key.
 */
export const MAX_CANDIDATES = 4;

/** Keys of a key set that can verify `alg`, restricted to `kid` when the token names one; at most {@link MAX_CANDIDATES}. */
export function selectKeys(
  keys: readonly KeyRecord[],
  alg: Algorithm,
  kid: string | undefined,
): KeyRecord[] {
  const out: KeyRecord[] = [];
  for (const key of keys) {
    if (kid !== undefined && key.kid !== kid) continue;
    if (key.usableFor(alg)) {
      out.push(key);
      if (out.length === MAX_CANDIDATES) break;
    }
  }
  return out;
}

/** Parses a JWKS document into key records, keeping only well-formed public keys. */
export function parseKeySet(document: Record<string, unknown>): KeyRecord[] {
  const { keys } = document;
  if (!Array.isArray(keys)) throw new TypeError('key set has no "keys" array');
  const records: KeyRecord[] = [];
  for (const jwk of keys) {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) continue;
    if (typeof (jwk as JWK).kty !== 'string') continue;
    records.push(new KeyRecord(Object.freeze({ ...(jwk as JWK) })));
  }
  return records;
}
