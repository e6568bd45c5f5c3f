import { applyChallenge } from './challenge.js';
import type { ChallengeOptions } from './challenge.js';
import { TokenCache } from './cache.js';
import { joseEngine } from './engine-jose.js';
import { nodeEngine } from './engine-node.js';
import type { AuthScheme } from './errors.js';
import {
  InvalidRequestError,
  InvalidTokenError,
  JwksAuthError,
  UnauthorizedError,
  VerifierClosedError,
} from './errors.js';
import { emitEvent } from './events.js';
import { authorizationLines, extractToken, isCorsPreflight, schemeOf } from './extract.js';
import { bindingStage, confirmationOf } from './binding.js';
import type { BindingRules } from './binding.js';
import { createIssuers, issuerSelector } from './issuers.js';
import type { KeyRecord } from './keys.js';
import { resolveOptions } from './resolve-options.js';
import type { RequestLike, VerifierOptions } from './options.js';
import { revocationStage } from './revocation.js';
import { settleVerify, traced, verifyContext, verifyTracing } from './tracing.js';
import type { VerifyTraceContext } from './tracing.js';
import type { JWTPayload, MaybePromise, ProtectedHeaderParameters, VerifyResult } from './types.js';
import { deepFreeze } from './token.js';
import { issuerOfFailure, verifyToken } from './verify-token.js';
import type { TokenStages } from './verify-token.js';
import type { AdapterHooks, Verifier } from './verifier.js';
import { isWebRequest, webRequestLike } from './web.js';
import type { WebRequestLike } from './web.js';

export type { AdapterHooks, Verifier } from './verifier.js';

/** What one call learns on its way: the credentials' scheme, whether the cache answered. */
interface CallState {
  scheme?: AuthScheme | undefined;
  cached?: boolean | undefined;
}

/**
 * Creates a verifier. Options are validated now: a mistake throws a
 * `TypeError` naming the option, never at the first request.
 *
 * A request goes through named stages: extraction (`extract.ts`), the token
 * cache (`cache.ts`), then for a miss parsing, issuer and key selection,
 * signature and claims (`verify-token.ts`, `issuers.ts`, `key-set.ts`, the
 * engines), then revocation (`revocation.ts`). Errors say what failed; the
 * challenge is written once, at the edge (`rejected` below).
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * const { payload } = await verifier.verify(token);
 */
export function createVerifier<O = RequestLike>(
  options: VerifierOptions<O>,
  adapter: AdapterHooks<O> = {},
): Verifier<O> {
  const o = resolveOptions(options as VerifierOptions<never>);
  const { onEvent, credentialsRequired, maxTokenLength, dpop } = o;
  const challenge: Readonly<ChallengeOptions> = Object.freeze({
    realm: o.realm,
    dpop: dpop && { algs: dpop.algorithms.join(' '), required: dpop.required },
    resourceMetadata: o.protectedResource?.metadataUrl,
  });
  const nonces = new WeakMap<object, string>();
  const bind = bindingStage(
    {
      dpop,
      getCertificate: o.mtls.getCertificate,
      targetOf: adapter.targetOf as BindingRules['targetOf'],
      clockTolerance: o.clockTolerance,
      hookTimeout: o.hookTimeout,
    },
    nonces,
  );
  const cache = o.cacheMaxEntries > 0 ? new TokenCache(o.cacheMaxEntries, o) : undefined;
  const revoked =
    o.isRevoked === undefined ? undefined : revocationStage(o.isRevoked, o.hookTimeout);
  const passPreflight = o.corsPreflight === 'pass';
  const issuers = createIssuers(o);
  let closed = false;
  // The fast hit (a cached token in a plain `Bearer` header) needs a cache, a
  // token only the header can carry, and nothing to run on a hit.
  const fast =
    cache !== undefined &&
    revoked === undefined &&
    o.getToken === undefined &&
    !o.allowQueryToken &&
    !o.allowBodyToken &&
    !passPreflight &&
    dpop?.required !== true
      ? cache
      : undefined;

  const stages: TokenStages = {
    algorithms: o.algorithms,
    issuerOf: issuerSelector(issuers),
    engine: o.engine === 'node' ? nodeEngine : joseEngine,
    remember(
      token: string,
      payload: JWTPayload,
      header: ProtectedHeaderParameters,
      key: KeyRecord,
    ) {
      const confirmation = confirmationOf(payload.cnf);
      const result: VerifyResult = Object.freeze({
        payload: deepFreeze(payload),
        header: deepFreeze(header),
        token,
        scheme: confirmation?.jkt === undefined ? 'Bearer' : 'DPoP',
        ...(confirmation === undefined ? {} : { confirmation }),
      });
      cache?.set(result, key);
      return result;
    },
  };

  /** The edge: every failure leaves through here, the only place the configuration shapes the challenge. */
  function rejected(error: unknown, scheme?: AuthScheme): JwksAuthError {
    const err =
      error instanceof JwksAuthError
        ? error
        : new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token could not be verified', {
            cause: error,
          });
    err.scheme ??= scheme;
    if (onEvent !== undefined) {
      const issuer = issuerOfFailure(error);
      emitEvent(onEvent, { type: 'token_rejected', code: err.code, status: err.status, issuer });
    }
    return applyChallenge(err, challenge);
  }

  /** Cache, then the token stages, then revocation. Sync on a hit (`state.cached` says whether it was one). */
  function check(token: string, fromHeader: boolean, state: CallState): MaybePromise<VerifyResult> {
    if (token.length > maxTokenLength) {
      throw new InvalidTokenError('ERR_TOKEN_TOO_LARGE', 'the token is too large');
    }
    if (cache !== undefined) {
      const hit = cache.get(token, Date.now());
      state.cached = hit !== undefined;
      if (hit !== undefined) return revoked === undefined ? hit : revoked(hit);
    }
    const verified = verifyToken(stages, token, fromHeader);
    if (revoked === undefined) return verified;
    return verified instanceof Promise ? verified.then(revoked) : revoked(verified);
  }

  /** After extraction: the scheme, then cache, token stages and revocation, then the binding. */
  function afterExtract(
    token: string | undefined,
    request: RequestLike,
    original: unknown,
    required: boolean,
    state: CallState,
  ): MaybePromise<VerifyResult | undefined> {
    if (token === undefined) {
      if (required) throw new UnauthorizedError();
      return undefined;
    }
    const { authorization } = request.headers;
    const fromHeader = o.getToken === undefined && authorization !== undefined;
    const scheme = fromHeader && dpop !== undefined ? schemeOf(authorization as string) : 'Bearer';
    state.scheme = scheme;
    if (scheme === 'Bearer' && dpop?.required === true) {
      throw new InvalidTokenError(
        'ERR_DPOP_REQUIRED',
        'this resource accepts DPoP-bound tokens only',
        {
          scheme: 'DPoP',
        },
      );
    }
    const result = check(token, fromHeader, state);
    return result instanceof Promise
      ? result.then((r) => bind(r, scheme, request, original))
      : bind(result, scheme, request, original);
  }

  function handle(
    request: RequestLike | WebRequestLike,
    original: unknown = request,
    required: boolean = credentialsRequired,
  ): MaybePromise<VerifyResult | undefined> {
    // Traced calls: a rare branch here, so the untraced hot path stays as it was.
    if (verifyTracing.hasSubscribers) return tracedHandle(request, original, required);
    // The hot path: the exact header value of an unbound token verified
    // before, in its window, on one Authorization line. Anything else takes
    // the stages.
    if (fast !== undefined && !closed) {
      const authorization = (request as RequestLike)?.headers?.authorization;
      if (typeof authorization === 'string') {
        const hit = fast.hit(authorization, Date.now());
        if (hit !== undefined && authorizationLines(request as RequestLike) === 1) {
          return hit;
        }
      } else if (isWebRequest(request)) {
        // A Fetch API Request (Hono, Bun, Deno, workerd): read as a Node-style one, fast hit included.
        return handle(webRequestLike(request), original, required);
      }
    }
    return handleStages(request, original, required, {});
  }

  /** `handle` past the fast hit. */
  function handleStages(
    given: RequestLike | WebRequestLike,
    original: unknown,
    required: boolean,
    state: CallState,
  ): MaybePromise<VerifyResult | undefined> {
    try {
      if (closed) throw new VerifierClosedError();
      const request = isWebRequest(given) ? webRequestLike(given) : given;
      if (typeof request !== 'object' || request === null || typeof request.headers !== 'object') {
        throw new InvalidRequestError('the request has no headers');
      }
      // Only on explicit opt-in: any client can make a request look like a preflight.
      if (passPreflight && isCorsPreflight(request)) return undefined;
      const token = extractToken(request, o, original);
      const outcome =
        token instanceof Promise
          ? token.then((t) => afterExtract(t, request, original, required, state))
          : afterExtract(token, request, original, required, state);
      return outcome instanceof Promise
        ? outcome.catch((e: unknown) => Promise.reject(rejected(e, state.scheme)))
        : outcome;
    } catch (error) {
      throw rejected(error, state.scheme);
    }
  }

  // Out of line, so that the untraced calls allocate no closure context.
  function tracedHandle(
    request: RequestLike | WebRequestLike,
    original: unknown,
    required: boolean,
  ): MaybePromise<VerifyResult | undefined> {
    const context = verifyContext('handle');
    // The fast hit, traced (a plain header object only; anything else takes the stages).
    const authorization = (request as RequestLike)?.headers?.authorization;
    if (fast !== undefined && !closed && typeof authorization === 'string') {
      const hit = fast.hit(authorization, Date.now());
      if (hit !== undefined && authorizationLines(request as RequestLike) === 1) {
        context.cached = true;
        return traced(verifyTracing, context, settleVerify, () => hit) as VerifyResult;
      }
    }
    return traced<VerifyTraceContext, VerifyResult | undefined>(
      verifyTracing,
      context,
      settleVerify,
      () => handleStages(request, original, required, context),
    );
  }

  function tracedVerify(token: string): Promise<VerifyResult> {
    const context = verifyContext('verify');
    return traced(verifyTracing, context, settleVerify, () => verifyStages(token, context));
  }

  /** Where untraced `verify` calls note what nobody reads (saves an object per call). */
  const untraced: CallState = {};

  /** `verify` for `token`; `state` collects whether the cache answered. */
  function verifyStages(token: string, state: CallState): Promise<VerifyResult> {
    try {
      if (closed) throw new VerifierClosedError();
      if (typeof token !== 'string' || token.length === 0) throw new UnauthorizedError();
      const checked = check(token, false, state);
      const outcome =
        checked instanceof Promise
          ? checked.then((r) => bind(r, 'Bearer', { headers: {} }, undefined))
          : bind(checked, 'Bearer', { headers: {} }, undefined);
      return outcome instanceof Promise
        ? outcome.catch((e: unknown) => Promise.reject(rejected(e)))
        : Promise.resolve(outcome);
    } catch (error) {
      return Promise.reject(rejected(error));
    }
  }

  /**
   * Hands the key set requests in flight (a refresh-ahead a request just
   * started, say) to the adapter's `waitUntil` for `original`, once each:
   * on runtimes that stop work when the response is sent (workerd), that is
   * what lets the refresh finish.
   */
  const handed = new WeakSet<Promise<unknown>>();
  function keepAlive(original: unknown): void {
    for (const state of issuers.values()) {
      const pending = state.keySet.pending;
      if (pending === undefined || handed.has(pending)) continue;
      handed.add(pending);
      try {
        adapter.waitUntil?.(original as O)?.(pending.catch(() => undefined));
      } catch {
        // No execution context for this request: the refresh runs as far as the runtime lets it.
      }
    }
  }

  /** `handle` for adapters that give `waitUntil`: key set requests started meanwhile are handed to it. */
  function handleKeepingAlive(
    request: RequestLike | WebRequestLike,
    original: unknown = request,
    required: boolean = credentialsRequired,
  ): MaybePromise<VerifyResult | undefined> {
    let outcome: MaybePromise<VerifyResult | undefined>;
    try {
      outcome = handle(request, original, required);
    } finally {
      keepAlive(original);
    }
    if (outcome instanceof Promise) {
      const after = () => keepAlive(original);
      outcome.then(after, after);
    }
    return outcome;
  }

  // Node adapters give no `waitUntil` and keep `handle` as it is.
  const entry = adapter.waitUntil === undefined ? handle : handleKeepingAlive;

  return {
    options: o,
    challenge,
    responseHeaders(original) {
      if (typeof original !== 'object' || original === null) return undefined;
      const nonce = nonces.get(original);
      if (nonce === undefined) return undefined;
      nonces.delete(original);
      return { 'DPoP-Nonce': nonce };
    },
    handle: entry,
    async authenticate(request, original) {
      return entry(request, original);
    },
    verify(token) {
      if (verifyTracing.hasSubscribers) return tracedVerify(token);
      return verifyStages(token, untraced);
    },
    async warmup() {
      if (closed) throw new VerifierClosedError();
      const results = await Promise.allSettled(
        [...issuers.values()].map((s) => s.keySet.refresh('warmup')),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    close() {
      closed = true;
      for (const state of issuers.values()) state.keySet.close();
      cache?.clear();
    },
  };
}
