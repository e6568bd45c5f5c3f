import type { KeyRecord } from './keys.js';
import type { Algorithm } from './options.js';

/**
 * Most keys one token is tried against. A token without a `kid` (or with a
 * `kid` the set repeats) matches every key of its type; without a cap, a
 * forged token against a large key set would cost one signature check per
 * key. Keys that verified a token recently are tried first.
 */
export const MAX_CANDIDATES = 4;

const NONE: readonly KeyRecord[] = Object.freeze([]);

/**
 * The usable keys of one key set, indexed when the set is installed: by
 * algorithm (for tokens without `kid`) and by `kid` then algorithm, so
 * finding a token's candidates costs the same for 2 keys or 10,000.
 */
export class KeyIndex {
  private readonly byAlg = new Map<Algorithm, KeyRecord[]>();
  private readonly byKid = new Map<string, Map<Algorithm, KeyRecord[]>>();

  constructor(readonly keys: readonly KeyRecord[]) {
    for (const key of keys) {
      for (const alg of key.algorithms) {
        push(this.byAlg, alg, key);
        if (key.kid !== undefined) {
          let forKid = this.byKid.get(key.kid);
          if (forKid === undefined) this.byKid.set(key.kid, (forKid = new Map()));
          push(forKid, alg, key);
        }
      }
    }
  }

  /** Every key usable for `alg` (and `kid`, when the token names one), most recently successful first. */
  select(alg: Algorithm, kid: string | undefined): readonly KeyRecord[] {
    const list = kid === undefined ? this.byAlg.get(alg) : this.byKid.get(kid)?.get(alg);
    return list ?? NONE;
  }

  /** Moves a key that just verified a token to the front of the lists it was found in. */
  promote(key: KeyRecord, alg: Algorithm): void {
    toFront(this.byAlg.get(alg), key);
    if (key.kid !== undefined) toFront(this.byKid.get(key.kid)?.get(alg), key);
  }
}

function push<K>(map: Map<K, KeyRecord[]>, name: K, key: KeyRecord): void {
  const list = map.get(name);
  if (list === undefined) map.set(name, [key]);
  else list.push(key);
}

function toFront(list: KeyRecord[] | undefined, key: KeyRecord): void {
  if (list === undefined || list[0] === key) return;
  const at = list.indexOf(key);
  if (at > 0) {
    list.splice(at, 1);
    list.unshift(key);
  }
}
