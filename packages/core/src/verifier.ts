/**
 * What a verifier is, as its users and the adapters see it: the interface
 * `createVerifier` returns, and what an adapter tells it about its
 * framework's requests.
 */
import type { RequestTarget } from './binding.js';
import type { ChallengeOptions } from './challenge.js';
import type { RequestLike, ResolvedOptions } from './options.js';
import type { MaybePromise, VerifyResult } from './types.js';
import type { WebRequestLike } from './web.js';

/** What an adapter tells the verifier about its framework's requests. */
export interface AdapterHooks<O> {
  /** The request's public origin (proxy-aware) and original path, for DPoP's `htu`. */
  targetOf?: (original: O) => RequestTarget | undefined;
  /**
   * The runtime's `waitUntil` for this request (workerd's
   * `ctx.waitUntil`, Hono's `c.executionCtx.waitUntil`), or undefined: a
   * key set refresh that a request starts is handed to it, so it is not
   * cut off when the response is sent.
   */
  waitUntil?: (original: O) => ((promise: Promise<unknown>) => void) | undefined;
}

/** A configured verifier. Create one per app (or per middleware) and reuse it. */
export interface Verifier<O = RequestLike> {
  /** Verifies a compact JWS access token; resolves the verified claims or rejects with a `JwksAuthError`. */
  verify(token: string): Promise<VerifyResult>;
  /**
   * Extracts the token from a request (Node-style, or a Fetch API `Request`:
   * its headers, method and URL; never its body) and verifies it. Resolves `undefined`
   * when no token was sent and `credentialsRequired` is false.
   */
  authenticate(
    request: RequestLike | WebRequestLike,
    original?: O,
  ): Promise<VerifyResult | undefined>;
  /**
   * Like `authenticate`, but answers synchronously when it can (a cache hit
   * with no async hook), so adapters pay no promise on the hot path. It may
   * return a value, return a promise, or throw a `JwksAuthError`.
   * `original` is what `getToken` receives (the framework's own request);
   * `required` overrides `credentialsRequired` for this call (per-route optional auth).
   */
  handle(
    request: RequestLike | WebRequestLike,
    original?: O,
    required?: boolean,
  ): MaybePromise<VerifyResult | undefined>;
  /** Fetches every issuer's metadata and keys now; rejects with a 503 `JwksAuthError` if any fails. */
  warmup(): Promise<void>;
  /**
   * Aborts key set requests in flight and empties the cache. Every later call
   * fails with a 503 `ERR_VERIFIER_CLOSED` instead of verifying.
   */
  close(): void;
  /** The validated options, defaults applied. */
  readonly options: Readonly<ResolvedOptions>;
  /**
   * Headers the response to `original` must carry after a successful
   * `handle` (a fresh `DPoP-Nonce` when the proof's is ageing), removed as
   * they are read; undefined when there are none. Adapters send them.
   */
  responseHeaders(original: O): Record<string, string> | undefined;
  /** How this verifier's `WWW-Authenticate` challenges read; adapters write it into route-check errors. */
  readonly challenge: Readonly<ChallengeOptions>;
}
