import type { KeyRecord } from './keys.js';
import type { VerifyResult } from './types.js';

/** A verified token and the window in which that verdict holds. */
interface Entry {
  readonly result: VerifyResult;
  /** Epoch ms from which the entry is dead: (exp + tolerance), or (iat + maxTokenAge + tolerance). */
  readonly notAfter: number;
  /** Epoch ms before which the entry must not be served: nbf (- tolerance). */
  readonly notBefore: number;
  /** The key that verified it; a refresh that drops the key kills the entry. */
  readonly key: KeyRecord;
  /** Recency stamp for lazy LRU promotion. */
  stamp: number;
}

/**
 * Bounded LRU of verified tokens, keyed by the whole token string: a hit
 * means the exact bytes were verified before. Entries are promoted lazily
 * (only once they have aged past half the capacity), so a hot hit costs one
 * map lookup and three comparisons, with no allocation.
 */
export class TokenCache {
  private readonly map = new Map<string, Entry>();
  private clock = 0;
  private readonly promoteAfter: number;

  constructor(private readonly maxEntries: number) {
    this.promoteAfter = Math.max(1, Math.floor(maxEntries / 2));
  }

  /** Number of live entries. */
  get size(): number {
    return this.map.size;
  }

  /** The cached result for `token` if it is still valid at `now` (epoch ms). */
  get(token: string, now: number): VerifyResult | undefined {
    const entry = this.map.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.notAfter || !entry.key.alive) {
      this.map.delete(token);
      return undefined;
    }
    if (now < entry.notBefore) return undefined;
    if (this.clock - entry.stamp > this.promoteAfter) {
      this.map.delete(token);
      entry.stamp = ++this.clock;
      this.map.set(token, entry);
    }
    return entry.result;
  }

  /** Stores a verified result; evicts the least recently used entry when full. */
  set(result: VerifyResult, key: KeyRecord, notBefore: number, notAfter: number): void {
    if (this.maxEntries === 0) return;
    const { token } = result;
    if (this.map.has(token)) this.map.delete(token);
    else if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(token, { result, notAfter, notBefore, key, stamp: ++this.clock });
  }

  /** Drops every entry. */
  clear(): void {
    this.map.clear();
  }
}
