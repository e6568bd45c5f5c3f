/**
 * The usable keys of a fetched key set: a JWKS document parsed into one
 * record per distinct key, each importing its `node:crypto` and WebCrypto
 * keys once.
 */
import { NODE, nodeCrypto } from './platform.js';
import type { JsonWebKey, KeyObject, webcrypto } from 'node:crypto';
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import type { Algorithm } from './algorithms.js';
import { judgeJwk } from './jwk-judge.js';

const { createPublicKey } = nodeCrypto;

// The RSA size limits are part of the public surface, which exports them from here.
export { MAX_RSA_BITS, MIN_RSA_BITS } from './jwk-judge.js';

type WebCryptoKey = webcrypto.CryptoKey;

/**
 * One usable public key of a fetched key set. Everything derived from the
 * JWK (which algorithms it verifies, its identity) is computed once when the
 * key set is parsed. `alive` turns false when a refresh no longer lists the
 * key, which invalidates cached tokens it verified.
 */
export class KeyRecord {
  alive = true;
  readonly kid: string | undefined;
  /** Set by the key set that installs the record: whether its keys may still be served. */
  servable: () => boolean = () => this.alive;
  private readonly imported = new Map<string, Promise<WebCryptoKey>>();
  private nodeKey: KeyObject | null | undefined;

  constructor(
    readonly jwk: Readonly<JWK>,
    /** Algorithms this key may verify (kty, crv, alg, use, key_ops and parameters checked). */
    readonly algorithms: readonly Algorithm[],
    /** Canonical text of every member of the JWK: any change to the JWK makes a new record. */
    readonly identity: string,
  ) {
    this.kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  }

  /** Whether this key may verify a signature made with `alg`. */
  usableFor(alg: Algorithm): boolean {
    return this.algorithms.includes(alg);
  }

  /** The WebCrypto key for `alg`, imported once and reused. */
  cryptoKey(alg: Algorithm): Promise<WebCryptoKey> {
    let key = this.imported.get(alg);
    if (key === undefined) {
      // key_ops and use were judged at parse time; WebCrypto is stricter about
      // their spelling (no duplicates, no unknown ops) than RFC 7517 asks,
      // which would make the engines disagree on the same key.
      const { key_ops: _ops, use: _use, ...jwk } = this.jwk;
      key = importJWK({ ...jwk, ext: true }, alg) as Promise<WebCryptoKey>;
      // A key that fails to import is simply unusable; do not retry on every request.
      this.imported.set(alg, key);
    }
    return key;
  }

  /**
   * Whether the key may take a token's candidate place: `node:crypto`
   * imports it; on the Web path (no `node:crypto`) the judge's verdict
   * stands, and a key WebCrypto refuses fails at its first use.
   */
  importable(): boolean {
    return NODE ? this.keyObject() !== null : true;
  }

  /**
   * The `node:crypto` public key, made once; `null` when the JWK does not
   * import (an EC point off its curve, say). A key set imports every new key
   * when it installs the set and drops those that give `null`.
   */
  keyObject(): KeyObject | null {
    if (this.nodeKey === undefined) {
      try {
        const key = createPublicKey({ key: { ...this.jwk } as JsonWebKey, format: 'jwk' });
        this.nodeKey = key.type === 'public' ? key : null;
      } catch {
        this.nodeKey = null;
      }
    }
    return this.nodeKey;
  }
}

/** What parsing a key set document yields. */
export interface ParsedKeySet {
  /** The usable keys, duplicates collapsed. */
  keys: KeyRecord[];
  /** Members of `keys` that were refused, with the reason. */
  refused: Array<{ index: number; kid: string | undefined; reason: string }>;
}

/**
 * Parses a JWKS document into usable key records. Keys that fail
 * {@link judgeJwk} are dropped (one bad key never blocks the rest), and a
 * key listed twice becomes one record.
 */
export function parseKeySet(document: Record<string, unknown>): ParsedKeySet {
  const { keys } = document;
  if (!Array.isArray(keys)) throw new TypeError('key set has no "keys" array');
  const byIdentity = new Map<string, KeyRecord>();
  const refused: ParsedKeySet['refused'] = [];
  keys.forEach((jwk: unknown, index) => {
    const verdict = judgeJwk(jwk);
    if (!verdict.ok) {
      const kid = (jwk as { kid?: unknown } | null)?.kid;
      refused.push({
        index,
        kid: typeof kid === 'string' ? kid : undefined,
        reason: verdict.reason,
      });
      return;
    }
    if (byIdentity.has(verdict.identity)) return;
    const frozen = Object.freeze({ ...(jwk as JWK) });
    byIdentity.set(verdict.identity, new KeyRecord(frozen, verdict.algorithms, verdict.identity));
  });
  return { keys: [...byIdentity.values()], refused };
}
