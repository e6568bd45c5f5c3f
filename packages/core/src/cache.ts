import { windowBreach } from './claims.js';
import type { WindowRules } from './claims.js';
import type { KeyRecord } from './keys.js';
import type { VerifyResult } from './types.js';

/** A verified token. */
interface Entry {
  readonly result: VerifyResult;
  /** The key that verified it; a refresh that drops the key kills the entry. */
  readonly key: KeyRecord;
  /** Recency stamp for lazy LRU promotion. */
  stamp: number;
}

/**
 * Characters at the end of a token (its signature) that index the map.
 * Hashing a fresh 700-character header string costs V8 about 1 µs per
 * request; hashing 32 characters and comparing the whole token costs a
 * quarter of that.
 */
const INDEX_LENGTH = 32;

function indexOf(token: string): string {
  return token.length > INDEX_LENGTH ? token.slice(-INDEX_LENGTH) : token;
}

/**
 * Bounded LRU of verified tokens, keyed by the whole token: an entry is
 * served only when the presented token equals the stored one character for
 * character, so a hit means the exact bytes were verified before. The map is
 * indexed by the signature's last characters, which only serve as the hash
 * (a token that shares them with a cached one is a miss, never a hit).
 * Entries are promoted lazily (once they have aged past half the capacity),
 * so a hot hit costs one short hash, one string comparison and three number
 * comparisons.
 */
export class TokenCache {
  private readonly map = new Map<string, Entry>();
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
    if (this.clock - entry.stamp > this.promoteAfter) {
      this.map.delete(index);
      entry.stamp = ++this.clock;
      this.map.set(index, entry);
    }
    return entry.result;
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
    this.map.set(index, { result, key, stamp: ++this.clock });
  }

  /** Drops every entry. */
  clear(): void {
    this.map.clear();
  }
}
