/**
 * The adapter kit: what every framework adapter needs, written once. An
 * adapter is then framework glue only (where the request is, where `auth`
 * goes, how the framework continues), with no rule of its own.
 *
 * @example
 * import { authenticateInto, routeHelpers } from '@jwks-auth/core/adapter';
 * const helpers = routeHelpers((check) => (req, res, next) => runCheck(check, req.auth, realmOf(req), next));
 *
 * @packageDocumentation
 */
import { claimCheck, claimEquals, claimIncludes, requiredScopes } from './authorize.js';
import type { AuthCheck, RequiredScopesOptions } from './authorize.js';
import { DEFAULT_REALM, bearerErrorBody, isJwksAuthError } from './errors.js';
import type { BearerErrorBody, JwksAuthError } from './errors.js';
import type { RequestLike } from './options.js';
import type { JWTPayload, MaybePromise, VerifyResult } from './types.js';
import type { Verifier } from './verify.js';

/** A callback-style continuation (Express `next`, Fastify `done`): called with an error, or with nothing to go on. */
export type Done = (error?: unknown) => void;

/** Where an adapter stores the verified result: `req` and `'auth'`, `ctx.state` and `'auth'`, ... */
export type AuthTarget = Record<PropertyKey, unknown>;

/**
 * Authenticates `request` and stores the result in `target[key]`, then calls
 * `done`. A synchronous answer (a cache hit) calls back synchronously, so the
 * hot path pays no promise. An error reaches `done(error)`.
 */
export function authenticateInto<O>(
  verifier: Verifier<O>,
  request: RequestLike,
  original: O,
  required: boolean | undefined,
  target: AuthTarget,
  key: PropertyKey,
  done: Done,
): void {
  let outcome: MaybePromise<VerifyResult | undefined>;
  try {
    outcome = verifier.handle(request, original, required);
  } catch (error) {
    done(error);
    return;
  }
  if (outcome instanceof Promise) {
    outcome.then((auth) => {
      if (auth !== undefined) target[key] = auth;
      done();
    }, done);
    return;
  }
  if (outcome !== undefined) target[key] = outcome;
  done();
}

/**
 * The promise-style twin of {@link authenticateInto} (Koa): stores the
 * result, then returns what `next()` returns; throws (or rejects) on failure.
 */
export function authenticateThen<O, T>(
  verifier: Verifier<O>,
  request: RequestLike,
  original: O,
  target: AuthTarget,
  key: PropertyKey,
  next: () => T,
): T | Promise<Awaited<T>> {
  const outcome = verifier.handle(request, original);
  if (outcome instanceof Promise) {
    return outcome.then((auth) => {
      if (auth !== undefined) target[key] = auth;
      return next();
    }) as Promise<Awaited<T>>;
  }
  if (outcome !== undefined) target[key] = outcome;
  return next();
}

/** Runs a route check for a callback-style framework: `done()` when it passes, `done(error)` when not. */
export function runCheck(
  check: AuthCheck,
  auth: VerifyResult | null | undefined,
  realm: string | undefined,
  done: Done,
): void {
  let outcome: MaybePromise<void>;
  try {
    outcome = check(auth, realm);
  } catch (error) {
    done(error);
    return;
  }
  if (outcome instanceof Promise) outcome.then(() => done(), done);
  else done();
}

/**
 * Where an adapter records, per request, the realm of the `jwksAuth()` that
 * authenticated it, so the standalone route helpers name the same realm.
 * Only a non-default realm is recorded: adding a property to every request
 * costs time on the hot path.
 */
const REALM = Symbol.for('jwks-auth.realm');

/** Records `realm` on a request object (a no-op for the default realm). */
export function recordRealm(target: object, realm: string): void {
  if (realm !== DEFAULT_REALM) (target as Record<symbol, unknown>)[REALM] = realm;
}

/** The realm recorded on a request object, if any. */
export function realmOf(target: object): string | undefined {
  return (target as Record<symbol, string | undefined>)[REALM];
}

/** The route helpers an adapter exports, each producing one framework handler `H`. */
export interface RouteHelpers<H> {
  /** Requires scopes (all, or any one with `{ any: true }`) in `scope`, `scp` or `permissions`; 403 `insufficient_scope` otherwise. */
  requiredScopes(scopes: string | readonly string[], options?: RequiredScopesOptions): H;
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
 * The four route helpers, each turning the core's check into a framework
 * handler with `toHandler`: one line per helper in every adapter.
 */
export function routeHelpers<H>(toHandler: (check: AuthCheck) => H): RouteHelpers<H> {
  return {
    requiredScopes: (scopes, options) => toHandler(requiredScopes(scopes, options)),
    claimEquals: (claim, value) => toHandler(claimEquals(claim, value)),
    claimIncludes: (claim, ...values) => toHandler(claimIncludes(claim, ...values)),
    claimCheck: (check, description) => toHandler(claimCheck(check, description)),
  };
}

/**
 * A per-route authentication setting: `true` requires a token, `'optional'`
 * lets requests without one through, `false` skips authentication,
 * `undefined` keeps the verifier's `credentialsRequired`. Anything else is a
 * configuration mistake: `null` is returned, and the adapter must refuse the
 * request (fail closed) and report {@link routeSettingError}.
 */
export function routeRequirement(setting: unknown): boolean | 'skip' | undefined | null {
  if (setting === undefined) return undefined;
  if (setting === true) return true;
  if (setting === 'optional') return false;
  if (setting === false) return 'skip';
  return null;
}

/** The error for a route setting {@link routeRequirement} refused, naming the route. */
export function routeSettingError(method: unknown, url: unknown, setting: unknown): TypeError {
  let shown: string;
  try {
    shown = JSON.stringify(setting) ?? String(setting);
  } catch {
    shown = typeof setting;
  }
  return new TypeError(
    `route ${String(method)} ${String(url)}: config.jwksAuth must be true, false or 'optional', got ${shown}`,
  );
}

/** What to answer a `JwksAuthError` with: status, headers (`WWW-Authenticate`, `Retry-After`) and the RFC 6750 JSON body. */
export interface ErrorResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: BearerErrorBody;
}

/** The response for `error` when it is a `JwksAuthError`; undefined for anything else (leave it to the framework). */
export function errorResponse(error: unknown): ErrorResponse | undefined {
  if (!isJwksAuthError(error)) return undefined;
  const e: JwksAuthError = error;
  return { status: e.status, headers: e.headers, body: bearerErrorBody(e) };
}

export type { AuthCheck, RequiredScopesOptions };
