import { FreshFor, monotonic } from './clock.js';
import { JwksLocator } from './discovery.js';
import type { LocatorContext } from './discovery.js';
import type { KeySetUnavailableError } from './errors.js';
import { emitEvent } from './events.js';
import type { FetchReason, JwksAuthEvent } from './events.js';
import { FetchError } from './fetch-json.js';
import { KeyIndex } from './key-index.js';
import { LazyAbort } from './lazy-abort.js';
import { fetchKeys, unavailableError } from './key-set-fetch.js';
import { KeySetSharing } from './key-set-store.js';
import type { SharedKeys } from './key-set-store.js';
import type { UnavailableCode } from './key-set-fetch.js';
import { parseKeySet } from './keys.js';
import type { KeyRecord } from './keys.js';
import type { Algorithm } from './options.js';
import {
  fetchContext,
  fetchedKeys,
  fetchTracing,
  settleFetch,
  staleChannel,
  traced,
} from './tracing.js';
import type { FetchTraceContext } from './tracing.js';
import type { MaybePromise } from './types.js';

/** Share of `cacheMaxAge` after which a request starts a background refresh. */
const REFRESH_AHEAD = 0.8;

/** What a key set needs to know of its issuer: the same as its locator. */
export type KeySetContext = LocatorContext;

/**
 * A remote JWKS with the behaviour an API needs when its identity provider
 * misbehaves: one request in flight however many callers wait (single
 * flight), refetch on an unknown `kid` at most once per cooldown, the last
 * good keys served for `maxStaleAge` while refreshes fail (a response with
 * no usable key counts as a failure), exponential backoff between failed
 * attempts, refresh ahead of expiry, and discovery run again when the
 * learned `jwks_uri` keeps failing or once per `cacheMaxAge`.
 *
 * Key selection only ever looks at this set: nothing in a token (`jku`,
 * `x5u`, `x5c`, `jwk`) can make it fetch anything.
 */
export class RemoteKeySet {
  private index: KeyIndex | undefined;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private retryAt = 0;
  private lastError: Error | undefined;
  private lastStatus: number | undefined;
  private inflight: Promise<KeyIndex> | undefined;
  private readonly abort = new LazyAbort();
  private uri: string | undefined;
  private readonly locator: JwksLocator;
  private lastCode: UnavailableCode = 'ERR_JWKS_UNAVAILABLE';
  private staleReportedAt = Number.NEGATIVE_INFINITY;
  private readonly refreshAfter: number;
  private readonly servableFor: number;
  /** Handed to every installed record: whether verdicts made with this set's keys may be served. */
  private readonly servable = (): boolean => this.fresh.value || this.isServable();
  /** From an install until refresh-ahead time: a cached verdict needs no clock read. */
  private readonly fresh: FreshFor;
  /** The context of the `jwks-auth:jwks.fetch` trace of the load under way, when traced. */
  private trace: FetchTraceContext | undefined;
  /** The fleet's shared key set (`jwks.store`), when configured. */
  private readonly shared: KeySetSharing | undefined;
  private readonly closed = (): boolean => this.abort.aborted;

  constructor(private readonly context: KeySetContext) {
    const { cacheMaxAge, maxStaleAge } = context.options;
    this.refreshAfter = cacheMaxAge * REFRESH_AHEAD;
    this.servableFor = cacheMaxAge + maxStaleAge;
    this.fresh = new FreshFor(this.refreshAfter);
    this.uri = context.jwksUri;
    this.locator = new JwksLocator(context, this.abort);
    const { store } = context.options;
    this.shared =
      store && new KeySetSharing(store, context.issuer, context.jwksUri, context.options);
    const { preload } = context.options;
    if (preload !== undefined) {
      this.preloaded = parseKeySet(preload).keys.filter((key) => key.importable());
    }
  }

  /** `jwks.preload`'s keys until the first request installs them. */
  private preloaded: KeyRecord[] | undefined;

  /**
   * Installs the preloaded keys (`jwks.preload`) as a set due for its
   * refresh-ahead: they serve at once, and this first request starts the
   * fetch that replaces them, in the background. Done at the first request,
   * not at creation: workerd's clock reads 0 in a module's global scope.
   */
  private usePreloaded(keys: KeyRecord[]): MaybePromise<KeyIndex> {
    this.preloaded = undefined;
    this.install(keys, this.refreshAfter);
    return this.current();
  }

  /**
   * Keys usable for `alg`/`kid`, most recently successful first. Waits for
   * the network only when there are no keys yet, they are past
   * `maxStaleAge`, or no key fits and the cooldown allows a refetch.
   */
  candidates(alg: Algorithm, kid: string | undefined): MaybePromise<readonly KeyRecord[]> {
    const index = this.current();
    if (index instanceof Promise) return index.then((i) => this.select(i, alg, kid));
    return this.select(index, alg, kid);
  }

  /** The fetch in flight, if any (the verifier hands it to an adapter's `waitUntil`). */
  get pending(): Promise<unknown> | undefined {
    return this.inflight;
  }

  /** Moves a key that just verified a token to the front, so it is tried first next time. */
  promote(key: KeyRecord, alg: Algorithm): void {
    this.index?.promote(key, alg);
  }

  private select(
    index: KeyIndex,
    alg: Algorithm,
    kid: string | undefined,
  ): MaybePromise<readonly KeyRecord[]> {
    const found = index.select(alg, kid);
    if (found.length > 0) return found;
    const again = this.refetch(alg, kid);
    return again === undefined ? found : again.catch(() => found);
  }

  /**
   * The keys for `alg`/`kid` after a refetch, when no listed key fits a token
   * (an unknown kid, or a kid-less token no key verifies: perhaps a
   * rotation). A refresh already under way is waited for rather than failing
   * the requests that arrive during it; otherwise a refetch happens at most
   * once per cooldown and never while backing off, so a flood of random kids
   * or forged kid-less tokens costs one fetch. `undefined` when none may run now.
   */
  refetch(alg: Algorithm, kid: string | undefined): Promise<readonly KeyRecord[]> | undefined {
    const pending = this.inflight;
    if (pending !== undefined) return pending.then((next) => next.select(alg, kid));
    const now = monotonic();
    if (now - this.lastAttemptAt < this.context.options.cooldownDuration || now < this.retryAt) {
      return undefined;
    }
    const reason = kid === undefined ? 'no_matching_key' : 'unknown_kid';
    return this.refresh(reason).then((next) => next.select(alg, kid));
  }

  /** Current keys, fetching or refreshing as their age requires. */
  current(): MaybePromise<KeyIndex> {
    const { index } = this;
    if (index === undefined) {
      const { preloaded } = this;
      return preloaded === undefined ? this.refresh('initial') : this.usePreloaded(preloaded);
    }
    const age = monotonic() - this.fetchedAt;
    if (age < this.refreshAfter) return index;
    if (age <= this.context.options.cacheMaxAge) {
      this.background('refresh');
      return index;
    }
    if (age <= this.servableFor) {
      this.background('expired');
      this.reportStale(age);
      return index;
    }
    return this.refresh('expired');
  }

  /**
   * For a cached verdict: true while this set's keys may still be served
   * (within `cacheMaxAge + maxStaleAge` of the last good fetch), starting a
   * refresh when one is due, exactly as a request that consults the keys would.
   */
  private isServable(): boolean {
    const age = monotonic() - this.fetchedAt;
    if (age < this.refreshAfter) return true;
    if (age > this.servableFor || this.abort.aborted) return false;
    this.current();
    return true;
  }

  private reportStale(age: number): void {
    const now = monotonic();
    // Every use for the channel (metrics count them); the event at most once a second.
    if (this.failures > 0 && staleChannel.hasSubscribers) {
      staleChannel.publish?.({ issuer: this.context.issuer, uri: this.uri ?? '', ageMs: age });
    }
    if (this.failures === 0 || now - this.staleReportedAt < 1000) return;
    this.staleReportedAt = now;
    this.emit({ type: 'jwks_stale', issuer: this.context.issuer, uri: this.uri ?? '', ageMs: age });
  }

  /** Fetches now (single flight), unless backing off. */
  refresh(reason: FetchReason): Promise<KeyIndex> {
    if (this.inflight !== undefined) return this.inflight;
    const now = monotonic();
    if (now < this.retryAt) {
      const retryInMs = this.retryAt - now;
      this.emit({
        type: 'jwks_backoff',
        issuer: this.context.issuer,
        uri: this.uri ?? '',
        retryInMs,
      });
      return Promise.reject(this.unavailable(retryInMs));
    }
    this.lastAttemptAt = now;
    const load = fetchTracing.hasSubscribers ? this.tracedLoad(reason) : this.load(reason);
    const attempt = load.finally(() => {
      this.inflight = undefined;
    });
    this.inflight = attempt;
    return attempt;
  }

  /** Stops background work and aborts requests in flight. */
  close(): void {
    this.fresh.stop();
    this.abort.abort();
  }

  private background(reason: FetchReason): void {
    if (this.inflight !== undefined || monotonic() < this.retryAt || this.abort.aborted) {
      return;
    }
    // Errors are recorded by load() and reported through onEvent.
    this.refresh(reason).catch(() => undefined);
  }

  /** `load` as one `jwks-auth:jwks.fetch` trace (tracing.ts); loads never overlap (single flight). */
  private tracedLoad(reason: FetchReason): Promise<KeyIndex> {
    const context = fetchContext(this.context.issuer, this.uri ?? '', reason);
    const started = monotonic();
    this.trace = context;
    const settle = (c: FetchTraceContext, _: KeyIndex | undefined, error: unknown): void => {
      this.trace = undefined;
      settleFetch(c, error, monotonic() - started, this.uri, this.lastStatus);
    };
    return traced(fetchTracing, context, settle, () => this.load(reason));
  }

  private async load(reason: FetchReason): Promise<KeyIndex> {
    const started = monotonic();
    let uri = this.uri;
    let code: UnavailableCode = 'ERR_DISCOVERY_FAILED';
    try {
      const stored = await this.shared?.before(reason, this.index?.keys ?? [], this.closed);
      if (stored !== undefined) return this.adopt(stored);
      uri = await this.locator.locate(this.failures, this.lastStatus);
      code = 'ERR_JWKS_UNAVAILABLE';
      this.uri = uri;
      const previous = this.index?.keys ?? [];
      const { options } = this.context;
      const { trace } = this;
      const { keys, refused } = await fetchKeys(uri, options, this.abort.signal, previous, trace);
      if (trace !== undefined) fetchedKeys(trace, uri, keys.length, refused);
      const index = this.install(keys);
      this.shared?.after(uri, keys);
      this.failures = 0;
      this.retryAt = 0;
      this.lastError = undefined;
      this.lastStatus = undefined;
      this.emit({
        type: 'jwks_fetch',
        issuer: this.context.issuer,
        uri,
        keys: keys.length,
        refused,
        durationMs: monotonic() - started,
        reason,
      });
      return index;
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.shared?.failed();
      this.failures += 1;
      this.lastStatus = error instanceof FetchError ? error.status : undefined;
      const { backoffInitial, backoffMax } = this.context.options;
      const delay = Math.min(backoffMax, backoffInitial * 2 ** Math.min(this.failures - 1, 30));
      this.retryAt = monotonic() + delay;
      this.lastError = err;
      this.emit({
        type: 'jwks_fetch_failed',
        issuer: this.context.issuer,
        uri: uri ?? '',
        error: err,
        failures: this.failures,
        retryInMs: delay,
      });
      throw this.unavailable(delay, code);
    }
  }

  /** Installs keys another process fetched (`jwks.store`): as good as a fetch of our own, `ageMs` ago. */
  private adopt({ keys, uri, ageMs }: SharedKeys): KeyIndex {
    this.uri ??= uri;
    const index = this.install(keys, ageMs);
    this.failures = 0;
    this.retryAt = 0;
    this.lastError = undefined;
    this.lastStatus = undefined;
    return index;
  }

  /** Swaps in a fresh key set; every previous record not carried over is retired, which drops the cached verdicts it made. */
  private install(next: KeyRecord[], ageMs = 0): KeyIndex {
    const kept = new Set(next);
    for (const old of this.index?.keys ?? []) if (!kept.has(old)) old.alive = false;
    for (const key of next) key.servable = this.servable;
    const index = new KeyIndex(next);
    this.index = index;
    this.fetchedAt = monotonic() - ageMs;
    // A set installed already aged (adopted from a store, preloaded) is fresh only for what is left.
    if (!this.abort.aborted) this.fresh.start(this.refreshAfter - ageMs);
    return index;
  }

  private unavailable(
    retryInMs: number,
    code: UnavailableCode = this.lastCode,
  ): KeySetUnavailableError {
    this.lastCode = code;
    return unavailableError(code, this.lastError, retryInMs);
  }

  private emit(event: JwksAuthEvent): void {
    emitEvent(this.context.onEvent, event);
  }
}
