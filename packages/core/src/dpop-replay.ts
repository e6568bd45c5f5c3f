/**
 * The default DPoP replay store: the `jti`s of accepted proofs, in memory,
 * each kept until its proof could no longer be accepted anyway. Bounded: when
 * `maxEntries` live entries are held, new proofs are refused (503, fail
 * closed) until the oldest expire, rather than forgetting a `jti` that could
 * still be replayed. One process only: a fleet needs a shared store.
 */
import type { ReplayStore } from './dpop-options.js';
import { monotonic } from './clock.js';

/** Live entries the default store holds at most. */
export const DEFAULT_REPLAY_ENTRIES = 100_000;

/** Thrown by the in-memory store when it is full of live entries. */
export class ReplayStoreFullError extends Error {}

export function memoryReplayStore(maxEntries = DEFAULT_REPLAY_ENTRIES): ReplayStore {
  // Insertion order; every entry has (nearly) the same lifetime, so the
  // oldest expire first and a sweep from the front finds them.
  const seen = new Map<string, number>();
  const sweep = (now: number) => {
    for (const [key, until] of seen) {
      if (until > now) break;
      seen.delete(key);
    }
  };
  return {
    markUsed(key, ttlSeconds) {
      const now = monotonic();
      const until = seen.get(key);
      if (until !== undefined && until > now) return false;
      sweep(now);
      if (seen.size >= maxEntries) throw new ReplayStoreFullError('the DPoP replay store is full');
      seen.delete(key);
      seen.set(key, now + Math.max(1, ttlSeconds) * 1000);
      return true;
    },
  };
}
