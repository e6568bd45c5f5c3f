import { validityInterval, windowBreach } from './claims.js';
import type { WindowRules } from './claims.js';
import type { KeyRecord } from './keys.js';
import type { VerifyResult } from './types.js';

/** A verified token. */
interface Entry {
  readonly result: VerifyResult;
  /** The key that verified it; a refresh that drops the key kills the entry. */
  readonly key: KeyRecord;
  /** `Bearer <token>`: the Authorization value a fast hit must equal. */
  readonly bearer: string;
  /** Epoch ms between which the validity window certainly holds (see `validityInterval`). */
  readonly from: number;
  readonly until: number;
  /** Recency stamp for lazy LRU promotion. */
  stamp: number;
}

/**
 * The map's index of a token: four characters of its signature packed into a
 * small integer (28 bits), which V8 hashes for free. Hashing a string costs
 * about 0.15 µs per request even for 32 characters. The index is only a
 * hash: a hit requires the whole stored token to equal the presented one.
 * (The last character is skipped: it carries fewer bits.)
 */
function indexOf(token: string): number {
  const n = token.length;
  if (n < 6) return -n;
  return (
    token.charCodeAt(n - 2) |
    (token.charCodeAt(n - 3) << 7) |
    (token.charCodeAt(n - 4) << 14) |
    ((token.charCodeAt(n - 5) & 0x7f) << 21)
  );
}

/**
 * Bounded LRU of verified tokens, keyed by the whole token: an entry is
 * served only when the presented token equals the stored one character for
 * character, so a hit means the exact bytes were verified before. The map is
 * indexed by characters of the signature, which only serve as the hash
 * (a token that shares them with a cached one is a miss, never a hit).
 * Entries are promoted lazily (once they have aged past half the capacity),
 * so a hot hit costs one integer lookup, one string comparison and a few
 * number comparisons.
 */
export class TokenCache {
  private readonly map = new Map<number, Entry>();
  private clock = 0;
  private readonly promoteAfter: number;

  constructor(
    private readonly maxEntries: number,
    /** The verifier's validity window rules: a verdict holds exactly as long as the claim checks would pass. */
    private readonly window: WindowRules,
  ) {
    this.promoteAfter = Math.max(1, Math.floor(maxEntries / 2));
  }

  /** Number of live entries. */
  get size(): number {
    return this.map.size;
  }

  /**
   * The fast hit: the cached result for an `Authorization` value exactly
   * `Bearer <token>`, when `now` (epoch ms) is well inside the token's window
   * and its key set is fresh or servable. Anything else (another spelling of
   * the header, a window edge, a stale key set) is undefined, and the caller
   * takes the full path, which decides it exactly.
   */
  hit(authorization: string, now: number): VerifyResult | undefined {
    const entry = this.map.get(indexOf(authorization));
    if (
      entry === undefined ||
      entry.bearer !== authorization ||
      // A bound token is never a Bearer hit: it passes only with its proof or certificate.
      entry.result.confirmation !== undefined ||
      now < entry.from ||
      now >= entry.until ||
      !entry.key.alive ||
      !entry.key.servable()
    ) {
      return undefined;
    }
    this.promote(entry);
    return entry.result;
  }

  /** The cached result for `token` if it is still valid at `now` (epoch ms). */
  get(token: string, now: number): VerifyResult | undefined {
    const index = indexOf(token);
    const entry = this.map.get(index);
    if (entry === undefined || entry.result.token !== token) return undefined;
    // Millisecond precision (claim checks floor to the second, as jose does):
    // an entry dies no later than a fresh check would refuse the token.
    const breach = windowBreach(entry.result.payload, this.window, now / 1000);
    if (breach !== undefined || !entry.key.alive) {
      // Not yet valid (nbf) is the one breach that time heals: keep the entry.
      if (breach?.[0] !== 'ERR_TOKEN_NOT_YET_VALID') this.map.delete(index);
      return undefined;
    }
    // Nor once the key set that made the verdict is past its usable age: when
    // its keys may no longer be served, neither may verdicts made with them.
    if (!entry.key.servable()) return undefined;
    this.promote(entry);
    return entry.result;
  }

  /** Lazy LRU: moves an entry to the young end once it has aged past half the capacity. */
  private promote(entry: Entry): void {
    if (this.clock - entry.stamp > this.promoteAfter) {
      const index = indexOf(entry.result.token);
      this.map.delete(index);
      entry.stamp = ++this.clock;
      this.map.set(index, entry);
    }
  }

  /** Stores a verified result; evicts the least recently used entry when full. */
  set(result: VerifyResult, key: KeyRecord): void {
    if (this.maxEntries === 0) return;
    const index = indexOf(result.token);
    // A token sharing the index with a cached one replaces it.
    if (this.map.has(index)) this.map.delete(index);
    else if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    const { from, until } = validityInterval(result.payload, this.window);
    const bearer = `Bearer ${result.token}`;
    this.map.set(index, { result, key, bearer, from, until, stamp: ++this.clock });
  }

  /** Drops every entry. */
  clear(): void {
    this.map.clear();
  }
}
