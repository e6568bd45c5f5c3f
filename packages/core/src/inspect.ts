/**
 * Inspection for tools (the `jwks-auth` CLI), never on a request's path: how
 * the verifier sees a key set document, key by key, and which of its keys a
 * token's signature checks out with, or why none fits. It uses the
 * verifier's own parts (the judge, the key records, the index, the signature
 * check), so its answers are the verifier's.
 */
import type { Algorithm } from './algorithms.js';
import { SUPPORTED_ALGORITHMS } from './algorithms.js';
import { jwkThumbprint } from './dpop.js';
import { judgeJwk } from './jwk-judge.js';
import { verifySignature } from './jws.js';
import { KeyIndex, MAX_CANDIDATES } from './key-index.js';
import { KeyRecord } from './keys.js';
import { parseCompact } from './token.js';

/** One member of a key set's `keys` array, as the verifier judges it. */
export interface KeyInspection {
  /** Position in the `keys` array. */
  index: number;
  kid: string | undefined;
  kty: string | undefined;
  /** The JWK's own `alg` member, if any. */
  alg: string | undefined;
  /** RFC 7638 SHA-256 thumbprint (base64url) of the public members, when they are present. */
  thumbprint: string | undefined;
  /** Whether the verifier uses the key. */
  usable: boolean;
  /** The algorithms the key may verify (empty when not usable). */
  algorithms: readonly Algorithm[];
  /** Why the key is not used: the judge's reason, an import failure, or a duplicate. */
  refused: string | undefined;
  /** Index of the earlier member this one repeats exactly (the verifier keeps one record). */
  duplicateOf: number | undefined;
}

/** Which key a token's signature verifies with, or why none does. */
export interface KeyChoice {
  /** The token's `alg` and `kid` headers. */
  alg: string | undefined;
  kid: string | undefined;
  /** The usable keys the verifier would try, in order (at most {@link MAX_CANDIDATES} are tried). */
  candidates: readonly KeyInspection[];
  /** The key whose signature check passed; undefined when none did. */
  chosen: KeyInspection | undefined;
  /** Why no key fitted; undefined when one did. */
  reason: string | undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

function thumbprintOf(jwk: Record<string, unknown>): string | undefined {
  const needed =
    jwk.kty === 'RSA' ? ['n', 'e'] : jwk.kty === 'EC' ? ['crv', 'x', 'y'] : ['crv', 'x'];
  if (!['RSA', 'EC', 'OKP'].includes(jwk.kty as string)) return undefined;
  return needed.every((m) => typeof jwk[m] === 'string') ? jwkThumbprint(jwk) : undefined;
}

/**
 * Judges every member of a key set document as a refresh does: the member
 * rules of `judgeJwk`, the import check (an EC point off its curve is
 * dropped), and exact repeats collapsed into one record.
 */
export function inspectKeySet(document: unknown): KeyInspection[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TypeError('key set has no "keys" array');
  const seen = new Map<string, number>();
  return keys.map((value: unknown, index): KeyInspection => {
    const jwk = (typeof value === 'object' && value !== null ? value : {}) as Record<
      string,
      unknown
    >;
    const base = {
      index,
      kid: text(jwk.kid),
      kty: text(jwk.kty),
      alg: text(jwk.alg),
      thumbprint: thumbprintOf(jwk),
      duplicateOf: undefined,
    };
    const verdict = judgeJwk(value);
    if (!verdict.ok) return { ...base, usable: false, algorithms: [], refused: verdict.reason };
    const earlier = seen.get(verdict.identity);
    if (earlier !== undefined) {
      return { ...base, usable: false, algorithms: [], refused: undefined, duplicateOf: earlier };
    }
    seen.set(verdict.identity, index);
    const record = new KeyRecord(Object.freeze({ ...jwk }), verdict.algorithms, verdict.identity);
    if (record.keyObject() === null) {
      return { ...base, usable: false, algorithms: [], refused: 'the key does not import' };
    }
    return { ...base, usable: true, algorithms: verdict.algorithms, refused: undefined };
  });
}

/**
 * Finds the key of `document` that verifies `token`'s signature the way the
 * verifier picks it (by `alg`, then `kid` when the token names one), or says
 * why none fits. Claims are not looked at: the verdict is the verifier's.
 */
export function inspectKeyChoice(document: unknown, token: string): KeyChoice {
  const parts = parseCompact(token);
  const alg = text(parts.header.alg);
  const kid = text(parts.header.kid);
  const keys = inspectKeySet(document);
  const listed = (document as { keys: unknown[] }).keys;
  const records = new Map<KeyRecord, KeyInspection>();
  for (const key of keys) {
    if (!key.usable) continue;
    const jwk = Object.freeze({ ...(listed[key.index] as Record<string, unknown>) });
    records.set(new KeyRecord(jwk, key.algorithms, String(key.index)), key);
  }
  const none = (reason: string): KeyChoice => ({
    alg,
    kid,
    candidates: [],
    chosen: undefined,
    reason,
  });
  if (alg === undefined || !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
    return none(`the token's alg ${JSON.stringify(parts.header.alg)} is not supported`);
  }
  const found = new KeyIndex([...records.keys()]).select(alg as Algorithm, kid);
  const candidates = found.map((r) => records.get(r)!);
  if (found.length === 0) {
    const named = kid === undefined ? [] : keys.filter((k) => k.kid === kid);
    const why =
      kid === undefined
        ? `no usable key verifies ${alg}`
        : named.length === 0
          ? `no key has kid ${JSON.stringify(kid)}`
          : named
              .map((k) =>
                k.usable
                  ? `the key with kid ${JSON.stringify(kid)} verifies ${k.algorithms.join(', ')}, not ${alg}`
                  : `the key with kid ${JSON.stringify(kid)} is refused: ${k.refused ?? `it repeats key #${k.duplicateOf}`}`,
              )
              .join('; ');
    return none(why);
  }
  const tried = found.slice(0, MAX_CANDIDATES);
  const match = tried.find((r) => {
    const key = r.keyObject();
    return key !== null && verifySignature(alg as Algorithm, key, token, parts.lastDot);
  });
  if (match !== undefined) {
    return { alg, kid, candidates, chosen: records.get(match), reason: undefined };
  }
  const more =
    found.length > MAX_CANDIDATES ? ` (${found.length} fit; ${MAX_CANDIDATES} are tried)` : '';
  return {
    alg,
    kid,
    candidates,
    chosen: undefined,
    reason: `the signature does not verify with ${tried.length === 1 ? 'the key that fits' : `any of the ${tried.length} keys that fit`}${more}`,
  };
}
