import { KeySetUnavailableError } from './errors.js';
import { emitEvent } from './events.js';
import type { FetchReason, JwksAuthEvent } from './events.js';
import { fetchJson } from './fetch-json.js';
import { parseKeySet, selectKeys } from './keys.js';
import type { KeyRecord } from './keys.js';
import type { Algorithm, JwksOptions } from './options.js';
import type { MaybePromise } from './types.js';

/** Share of `cacheMaxAge` after which a request starts a background refresh. */
const REFRESH_AHEAD = 0.8;

export interface KeySetContext {
  issuer: string;
  options: Required<JwksOptions>;
  onEvent: ((event: JwksAuthEvent) => void) | undefined;
  /** Resolves the JWKS URL (discovery); called again after a failure. */
  resolveUri: () => string | Promise<string>;
}

/**
 * A remote JWKS with the behaviour an API needs when its identity provider
 * misbehaves: one request in flight however many callers wait (single
 * flight), refetch on an unknown `kid` at most once per cooldown, the last
 * good keys served for `maxStaleAge` while refreshes fail, exponential backoff
 * between failed attempts, and refresh ahead of expiry in the background.
 *
 * Key selection only ever looks at this set: nothing in a token (`jku`,
 * `x5u`, `x5c`, `jwk`) can make it fetch anything.
 */
export class RemoteKeySet {
  private keys: KeyRecord[] | undefined;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private retryAt = 0;
  private lastError: Error | undefined;
  private inflight: Promise<KeyRecord[]> | undefined;
  private readonly abort = new AbortController();
  private uri: string | undefined;
  private lastCode: 'ERR_JWKS_UNAVAILABLE' | 'ERR_DISCOVERY_FAILED' = 'ERR_JWKS_UNAVAILABLE';
  private staleReportedAt = 0;

  constructor(private readonly context: KeySetContext) {}

  /**
   * Keys usable for `alg`/`kid`. Waits for the network only when there are no
   * usable keys yet, they are past `maxStaleAge`, or the `kid` is unknown and
   * the cooldown allows a refetch.
   */
  candidates(alg: Algorithm, kid: string | undefined): MaybePromise<KeyRecord[]> {
    const keys = this.current();
    if (keys instanceof Promise) return keys.then((k) => this.select(k, alg, kid));
    return this.select(keys, alg, kid);
  }

  private select(
    keys: KeyRecord[],
    alg: Algorithm,
    kid: string | undefined,
  ): MaybePromise<KeyRecord[]> {
    const found = selectKeys(keys, alg, kid);
    if (found.length > 0 || kid === undefined) return found;
    // A refresh already under way may bring this kid: wait for it rather than
    // failing the requests that arrive during a rotation.
    const pending = this.inflight;
    if (pending !== undefined) {
      return pending.then(
        (next) => selectKeys(next, alg, kid),
        () => found,
      );
    }
    const now = Date.now();
    // Unknown kid: perhaps a rotation. Refetch, but at most once per cooldown
    // and never while backing off, so a flood of random kids costs one fetch.
    if (now - this.lastAttemptAt < this.context.options.cooldownDuration || now < this.retryAt) {
      return found;
    }
    return this.refresh('unknown_kid').then(
      (next) => selectKeys(next, alg, kid),
      () => found,
    );
  }

  /** Current keys, fetching or refreshing as their age requires. */
  current(): Promise<KeyRecord[]> | KeyRecord[] {
    const { keys } = this;
    if (keys === undefined) return this.refresh('initial');
    const age = Date.now() - this.fetchedAt;
    const { cacheMaxAge, maxStaleAge } = this.context.options;
    if (age < cacheMaxAge * REFRESH_AHEAD) return keys;
    if (age <= cacheMaxAge) {
      this.background('refresh');
      return keys;
    }
    if (age <= cacheMaxAge + maxStaleAge) {
      this.background('expired');
      if (this.failures > 0 && Date.now() - this.staleReportedAt >= 1000) {
        this.staleReportedAt = Date.now();
        this.emit({
          type: 'jwks_stale',
          issuer: this.context.issuer,
          uri: this.uri ?? '',
          ageMs: age,
        });
      }
      return keys;
    }
    return this.refresh('expired');
  }

  /** Fetches now (single flight), unless backing off. */
  refresh(reason: FetchReason): Promise<KeyRecord[]> {
    if (this.inflight !== undefined) return this.inflight;
    const now = Date.now();
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
    const attempt = this.load(reason).finally(() => {
      this.inflight = undefined;
    });
    this.inflight = attempt;
    return attempt;
  }

  /** Stops background work and aborts requests in flight. */
  close(): void {
    this.abort.abort();
  }

  private background(reason: FetchReason): void {
    if (this.inflight !== undefined || Date.now() < this.retryAt || this.abort.signal.aborted) {
      return;
    }
    // Errors are recorded by load() and reported through onEvent.
    this.refresh(reason).catch(() => undefined);
  }

  private async load(reason: FetchReason): Promise<KeyRecord[]> {
    const started = Date.now();
    let uri = this.uri;
    let discovered = false;
    try {
      uri = await this.context.resolveUri();
      discovered = true;
      this.uri = uri;
      const document = await fetchJson(uri, {
        fetch: this.context.options.fetch,
        timeoutDuration: this.context.options.timeoutDuration,
        maxResponseBytes: this.context.options.maxResponseBytes,
        signal: this.abort.signal,
      });
      const next = parseKeySet(document);
      this.install(next);
      this.failures = 0;
      this.retryAt = 0;
      this.lastError = undefined;
      this.emit({
        type: 'jwks_fetch',
        issuer: this.context.issuer,
        uri,
        keys: next.length,
        durationMs: Date.now() - started,
        reason,
      });
      return next;
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.failures += 1;
      const { backoffInitial, backoffMax } = this.context.options;
      const delay = Math.min(backoffMax, backoffInitial * 2 ** Math.min(this.failures - 1, 30));
      this.retryAt = Date.now() + delay;
      this.lastError = err;
      this.emit({
        type: 'jwks_fetch_failed',
        issuer: this.context.issuer,
        uri: uri ?? '',
        error: err,
        failures: this.failures,
        retryInMs: delay,
      });
      throw this.unavailable(delay, discovered ? 'ERR_JWKS_UNAVAILABLE' : 'ERR_DISCOVERY_FAILED');
    }
  }

  /** Swaps in a fresh key set; keys it no longer lists die, keys it keeps carry their imports over. */
  private install(next: KeyRecord[]): void {
    const previous = this.keys;
    if (previous !== undefined) {
      const byIdentity = new Map(previous.map((k) => [k.identity, k]));
      for (let i = 0; i < next.length; i += 1) {
        const same = byIdentity.get(next[i]!.identity);
        if (same !== undefined) {
          next[i] = same;
          byIdentity.delete(same.identity);
        }
      }
      for (const gone of byIdentity.values()) gone.alive = false;
    }
    this.keys = next;
    this.fetchedAt = Date.now();
  }

  private unavailable(
    retryInMs: number,
    code: 'ERR_JWKS_UNAVAILABLE' | 'ERR_DISCOVERY_FAILED' = this.lastCode,
  ): KeySetUnavailableError {
    const cause = this.lastError;
    this.lastCode = code;
    return new KeySetUnavailableError(
      code,
      // Details (URLs, network errors) stay in `cause`: some frameworks show 5xx messages.
      code === 'ERR_DISCOVERY_FAILED'
        ? 'the identity provider metadata is unavailable'
        : 'the signing keys are unavailable',
      { cause, retryAfter: Math.max(1, Math.ceil(retryInMs / 1000)) },
    );
  }

  private emit(event: JwksAuthEvent): void {
    emitEvent(this.context.onEvent, event);
  }
}
