/**
 * Route guards of the adapter kit: a route check (`requiredScopes`, ...)
 * turned into a framework handler that writes its verifier's challenge
 * into the errors it passes on.
 */
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  requiredAuthentication,
  requiredScopes,
} from './authorize.js';
import type {
  AuthCheck,
  RequiredAuthenticationOptions,
  RequiredScopesOptions,
} from './authorize.js';
import { applyChallenge, challengeOf } from './challenge.js';
import type { ChallengeOptions } from './challenge.js';
import { isJwksAuthError } from './errors.js';
import type { JWTPayload, MaybePromise, VerifyResult } from './types.js';

/** A callback-style continuation (Express `next`, Fastify `done`): called with an error, or with nothing to go on. */
export type Done = (error?: unknown) => void;

/** A route check's error, in the verifier's challenge and naming the scheme the request used. */
function challenged(
  error: unknown,
  challenge: Readonly<ChallengeOptions> | undefined,
  auth: VerifyResult | null | undefined,
): unknown {
  if (!isJwksAuthError(error)) return error;
  error.scheme ??= auth?.scheme;
  return applyChallenge(error, challenge);
}

/**
 * Runs a route check for a callback-style framework: `done()` when it
 * passes, `done(error)` with `challenge` written into it when not.
 */
export function runCheck(
  check: AuthCheck,
  auth: VerifyResult | null | undefined,
  challenge: Readonly<ChallengeOptions> | undefined,
  done: Done,
): void {
  let outcome: MaybePromise<void>;
  try {
    outcome = check(auth);
  } catch (error) {
    done(challenged(error, challenge, auth));
    return;
  }
  if (outcome instanceof Promise)
    outcome.then(
      () => done(),
      (e) => done(challenged(e, challenge, auth)),
    );
  else done();
}

/**
 * Route helpers for a callback-style framework whose request carries `auth`
 * (Express `(req, res, next)`, Fastify `(request, reply, done)`): each check
 * becomes a handler `H` that writes `challenge` (the verifier's; for
 * standalone helpers, the one the kit recorded on the request) into its
 * errors.
 *
 * @example
 * const helpers = routeHelpers(callbackGuard<RequestHandler>(verifier.challenge));
 */
export function callbackGuard<H>(challenge?: Readonly<ChallengeOptions>): (check: AuthCheck) => H {
  return (check) => {
    function jwksAuthGuard(request: { auth?: VerifyResult | null }, _reply: unknown, done: Done) {
      runCheck(check, request.auth, challenge ?? challengeOf(request), done);
    }
    return jwksAuthGuard as H;
  };
}

/**
 * The promise-style twin of {@link runCheck} (Koa): returns what `next()`
 * returns when the check passes; throws (or rejects) with `challenge`
 * written into the error when not.
 */
export function checkThen<T>(
  check: AuthCheck,
  auth: VerifyResult | null | undefined,
  challenge: Readonly<ChallengeOptions> | undefined,
  next: () => T,
): T | Promise<Awaited<T>> {
  let outcome: MaybePromise<void>;
  try {
    outcome = check(auth);
  } catch (error) {
    throw challenged(error, challenge, auth);
  }
  if (outcome instanceof Promise) {
    return outcome.then(next, (e: unknown) => {
      throw challenged(e, challenge, auth);
    }) as Promise<Awaited<T>>;
  }
  return next();
}

/** The route helpers an adapter exports, each producing one framework handler `H`. */
export interface RouteHelpers<H> {
  /** Requires scopes (all, or any one with `{ any: true }`) in `scope`, `scp` or `permissions`; 403 `insufficient_scope` otherwise. */
  requiredScopes(scopes: string | readonly string[], options?: RequiredScopesOptions): H;
  /** Requires a strong (`acr` in `acrValues`) and/or recent (`auth_time` within `maxAge` s) user authentication; 401 `insufficient_user_authentication` otherwise (RFC 9470). */
  requiredAuthentication(options: RequiredAuthenticationOptions): H;
  /** Requires a claim to equal a value; 403 otherwise. */
  claimEquals(claim: string, value: string | number | boolean | null): H;
  /** Requires a claim (array or space-separated string) to include every value; 403 otherwise. */
  claimIncludes(claim: string, ...values: Array<string | number | boolean>): H;
  /** Runs a predicate (sync or async) over the verified claims; only `true` passes, `description` becomes the 403 `error_description`. */
  claimCheck(
    check: (payload: Readonly<JWTPayload>) => boolean | PromiseLike<boolean>,
    description: string,
  ): H;
}

/**
 * The route helpers, each turning the core's check into a framework
 * handler with `toHandler`: one line per helper in every adapter.
 */
export function routeHelpers<H>(toHandler: (check: AuthCheck) => H): RouteHelpers<H> {
  return {
    requiredScopes: (scopes, options) => toHandler(requiredScopes(scopes, options)),
    requiredAuthentication: (options) => toHandler(requiredAuthentication(options)),
    claimEquals: (claim, value) => toHandler(claimEquals(claim, value)),
    claimIncludes: (claim, ...values) => toHandler(claimIncludes(claim, ...values)),
    claimCheck: (check, description) => toHandler(claimCheck(check, description)),
  };
}
