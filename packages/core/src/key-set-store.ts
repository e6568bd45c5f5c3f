/**
 * The `jwks.store` option: a key set shared by the processes of a fleet. A
 * process reads its issuer's key set from the store before fetching it, one
 * process at a time refreshes it (a short lock) while the others keep
 * serving what they have, and a fetched set is written back for the rest.
 * The store is never a new way to fail: every call has a deadline, and a
 * store that throws, rejects, answers garbage or misses its deadline is
 * skipped; the identity provider is then fetched as without a store.
 */
import type { FetchReason } from './events.js';
import { isThenable } from './hooks.js';
import { carryOver } from './key-set-fetch.js';
import { parseKeySet } from './keys.js';
import type { KeyRecord } from './keys.js';
import type { ResolvedJwksOptions } from './options.js';

/** A key set as a store keeps it. */
export interface StoredKeySet {
  /** The key set document (`{"keys":[...]}`, JSON text) holding the keys the fetching process accepted. */
  jwks: string;
  /** The URL it was fetched from. */
  uri: string;
  /** When it was fetched, in ms since the epoch. */
  fetchedAt: number;
}

/**
 * Where the processes of a fleet share key sets (`jwks.store`), one per
 * issuer. Every method may return a value or a promise; the verifier holds
 * each call to {@link KEY_SET_STORE_TIMEOUT} and treats a throw, a rejection or a
 * malformed answer as "no store" for that call.
 *
 * @example
 * ```ts
 * import { redisKeySetStore } from '@jwks-auth/redis';
 * createVerifier({ issuer, audience, jwks: { store: redisKeySetStore(redis) } });
 * ```
 */
export interface KeySetStore {
  /** The stored key set of `issuer`, or `undefined`/`null` when there is none. */
  get(
    issuer: string,
  ): StoredKeySet | undefined | null | PromiseLike<StoredKeySet | undefined | null>;
  /** Stores the key set just fetched for `issuer`, to be kept `ttlMs` at most. */
  set(issuer: string, keySet: StoredKeySet, ttlMs: number): unknown;
  /**
   * Takes the refresh lock of `issuer` for `ttlMs`: a token (any non-empty
   * string) when taken, `undefined`/`null` when another process holds it.
   */
  lock(
    issuer: string,
    ttlMs: number,
  ): string | undefined | null | PromiseLike<string | undefined | null>;
  /** Releases the lock taken with `token`, unless it expired and another process took it. */
  unlock(issuer: string, token: string): unknown;
}

/** Deadline of one store call, in ms: past it the call is abandoned and the verifier goes on without the store. */
export const KEY_SET_STORE_TIMEOUT = 2000;

/** Validates `jwks.store`. */
export function isKeySetStore(value: unknown): value is KeySetStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return ['get', 'set', 'lock', 'unlock'].every((name) => typeof store[name] === 'function');
}

/** Keys taken from the store, ready to install. */
export interface SharedKeys {
  keys: KeyRecord[];
  uri: string;
  /** How long ago they were fetched, in ms. */
  ageMs: number;
}

/** What a failed store call gives. */
const STORE_FAILED: unique symbol = Symbol('store failed');

/** Timers must not keep a process alive that is otherwise done (Node); other runtimes have no `unref`. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

/** Stored sets claiming a fetch time further ahead than this are ignored (a skewed clock). */
const MAX_CLOCK_AHEAD = 60_000;

/**
 * One key set's use of the store. A key set runs one load at a time, so the
 * lock token taken in {@link before} is the one {@link after} or
 * {@link failed} releases.
 */
export class KeySetSharing {
  /** The document of the installed keys, and when they were fetched (epoch ms). */
  private installed: { jwks: string; fetchedAt: number } | undefined;
  private token: string | undefined;

  constructor(
    private readonly store: KeySetStore,
    private readonly issuer: string,
    /** The configured `jwks_uri`, if any: a stored set from another URL is not used. */
    private readonly jwksUri: string | undefined,
    private readonly options: ResolvedJwksOptions,
  ) {}

  /**
   * Before fetching: keys to install instead, when the store holds a newer
   * set than ours that fits `reason`, or when another process refreshing
   * under the lock stores one while we wait. `undefined`: fetch (holding the
   * lock when it could be taken).
   */
  async before(
    reason: FetchReason,
    previous: readonly KeyRecord[],
    closed: () => boolean = () => false,
  ): Promise<SharedKeys | undefined> {
    const seen = await this.read();
    // A store that failed now is not asked again for this load: fetch at once.
    if (seen === STORE_FAILED) return undefined;
    if (seen !== undefined && this.fits(seen, reason)) {
      const adopted = this.adopt(seen, previous);
      if (adopted !== undefined) return adopted;
    }
    const lockMs = 2 * this.options.timeoutDuration + 1000;
    // Another process is refreshing: wait for what it stores, at most as long
    // as its lock lasts; when the lock is free again with nothing stored (its
    // fetch failed), this process takes the lock and fetches.
    const until = Date.now() + lockMs;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      const token = await this.call(() => this.store.lock(this.issuer, lockMs));
      if (typeof token === 'string' && token.length > 0) {
        this.token = token;
        // The previous holder may have stored its set and left just before we took the lock.
        const stored = await this.newer(seen, previous);
        if (stored !== undefined) this.failed();
        return stored;
      }
      if (token !== null && token !== undefined) return undefined;
      if (Date.now() >= until || closed()) return undefined;
      await new Promise((resolve) => unref(setTimeout(resolve, pause)));
      const stored = await this.newer(seen, previous);
      if (stored !== undefined) return stored;
    }
  }

  /** A set stored since `seen` was read, ready to install; `undefined` if none (or the store failed). */
  private async newer(
    seen: StoredKeySet | undefined,
    previous: readonly KeyRecord[],
  ): Promise<SharedKeys | undefined> {
    const next = await this.read();
    if (next === STORE_FAILED || next === undefined) return undefined;
    if (seen !== undefined && next.fetchedAt <= seen.fetchedAt) return undefined;
    return this.adopt(next, previous);
  }

  /** After a good fetch: stores the accepted keys for the others, then releases the lock. */
  after(uri: string, keys: readonly KeyRecord[]): void {
    const stored: StoredKeySet = {
      jwks: JSON.stringify({ keys: keys.map((k) => k.jwk) }),
      uri,
      fetchedAt: Date.now(),
    };
    this.installed = { jwks: stored.jwks, fetchedAt: stored.fetchedAt };
    const token = this.token;
    this.token = undefined;
    void this.call(() => this.store.set(this.issuer, stored, this.options.cacheMaxAge)).then(() =>
      token === undefined ? undefined : this.call(() => this.store.unlock(this.issuer, token)),
    );
  }

  /** After a failed fetch: releases the lock so another process may try. */
  failed(): void {
    const token = this.token;
    this.token = undefined;
    if (token !== undefined) void this.call(() => this.store.unlock(this.issuer, token));
  }

  /** Whether a stored set replaces ours for this load. */
  private fits(stored: StoredKeySet, reason: FetchReason): boolean {
    const age = Date.now() - stored.fetchedAt;
    const { cacheMaxAge } = this.options;
    const ours = this.installed;
    if (ours === undefined || reason === 'initial' || reason === 'warmup') {
      return age < cacheMaxAge;
    }
    if (stored.fetchedAt <= ours.fetchedAt || age >= cacheMaxAge * 0.8) return false;
    // An unknown kid: a newer set listing the same keys as ours does not have it either.
    if (reason === 'unknown_kid' || reason === 'no_matching_key') return stored.jwks !== ours.jwks;
    return true;
  }

  private adopt(stored: StoredKeySet, previous: readonly KeyRecord[]): SharedKeys | undefined {
    let keys: KeyRecord[];
    try {
      const document: unknown = JSON.parse(stored.jwks);
      if (typeof document !== 'object' || document === null || Array.isArray(document))
        return undefined;
      keys = carryOver(previous, parseKeySet(document as Record<string, unknown>).keys).keys;
    } catch {
      return undefined;
    }
    if (keys.length === 0) return undefined;
    this.installed = { jwks: stored.jwks, fetchedAt: stored.fetchedAt };
    return { keys, uri: stored.uri, ageMs: Math.max(0, Date.now() - stored.fetchedAt) };
  }

  /** The stored set if well-formed and usable here, `undefined` if none, {@link STORE_FAILED} if the store failed. */
  private async read(): Promise<StoredKeySet | undefined | typeof STORE_FAILED> {
    const value = await this.call(() => this.store.get(this.issuer));
    if (value === STORE_FAILED || value === undefined || value === null) return value ?? undefined;
    if (typeof value !== 'object') return undefined;
    const { jwks, uri, fetchedAt } = value as Partial<StoredKeySet>;
    if (
      typeof jwks !== 'string' ||
      jwks.length > this.options.maxResponseBytes ||
      typeof uri !== 'string' ||
      (this.jwksUri !== undefined && uri !== this.jwksUri) ||
      typeof fetchedAt !== 'number' ||
      !Number.isFinite(fetchedAt) ||
      fetchedAt > Date.now() + MAX_CLOCK_AHEAD
    ) {
      return undefined;
    }
    return { jwks, uri, fetchedAt };
  }

  /** One store call under {@link KEY_SET_STORE_TIMEOUT}; a throw, a rejection or a missed deadline gives {@link STORE_FAILED}. */
  private call<T>(run: () => T): Promise<Awaited<T> | typeof STORE_FAILED> {
    let result: unknown;
    try {
      result = run();
    } catch {
      return Promise.resolve(STORE_FAILED);
    }
    if (!isThenable(result)) return Promise.resolve(result as Awaited<T>);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(STORE_FAILED), KEY_SET_STORE_TIMEOUT);
      unref(timer);
      const done = (value: unknown) => {
        clearTimeout(timer);
        resolve(value as Awaited<T> | typeof STORE_FAILED);
      };
      try {
        (result as PromiseLike<unknown>).then(done, () => done(STORE_FAILED));
      } catch {
        done(STORE_FAILED);
      }
    });
  }
}
