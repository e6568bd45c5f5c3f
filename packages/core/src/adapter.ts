/**
 * The adapter kit: what every framework adapter needs, written once. An
 * adapter is then framework glue only (where the request is, where `auth`
 * goes, how the framework continues), with no rule of its own.
 *
 * @example
 * import { authenticateInto, callbackGuard, routeHelpers } from '@jwks-auth/core/adapter';
 * const auth = (req, res, next) => authenticateInto(verifier, req, req, req, next);
 * const helpers = routeHelpers(callbackGuard<RequestHandler>(verifier.challenge));
 *
 * @packageDocumentation
 */
import { recordChallenge } from './challenge.js';
import { bearerErrorBody, isJwksAuthError } from './errors.js';
import { answerFor } from './protected-resource.js';
import type { ProtectedResourceResponse } from './protected-resource.js';
import type { BearerErrorBody, JwksAuthError } from './errors.js';
import type { RequestLike } from './options.js';
import type { Done } from './route-guards.js';
import type { MaybePromise, VerifyResult } from './types.js';
import type { Verifier } from './verify.js';
import type { WebRequestLike } from './web.js';

export { CHALLENGE_KEY, challengeOf } from './challenge.js';
export { callbackGuard, checkThen, routeHelpers, runCheck } from './route-guards.js';
export { errorToResponse, isWebRequest, webRequestLike } from './web.js';
export type { WebRequestLike };
export type { Done, RouteHelpers } from './route-guards.js';
export type {
  AuthCheck,
  RequiredAuthenticationOptions,
  RequiredScopesOptions,
} from './authorize.js';
export type { ProtectedResourceResponse } from './protected-resource.js';
export type { ChallengeOptions } from './challenge.js';

/** Where an adapter stores the verified result, as `auth`: `req`, `ctx.state`, `request`, ... */
export type AuthTarget = Record<PropertyKey, unknown>;

/**
 * What the verifier should read: the Node request itself when the verifier
 * reads only headers (plain properties, none of a framework's getters), the
 * framework's request otherwise (it has the parsed query and body). For
 * frameworks whose request object reads through to the Node one (Koa's
 * `ctx.request` to `ctx.req`).
 */
export function requestFor(
  verifier: Verifier<never>,
  node: RequestLike | undefined,
  framework: RequestLike,
): RequestLike {
  const { allowQueryToken, allowBodyToken } = verifier.options;
  return node === undefined || allowQueryToken || allowBodyToken ? framework : node;
}

/**
 * Authenticates `request` and stores the result in `target.auth` (and the
 * verifier's challenge, see {@link challengeOf}), then calls `done`. A
 * synchronous answer (a cache hit) calls back synchronously, so the hot path
 * pays no promise. An error reaches `done(error)`. `original` is what
 * `getToken` receives; `required` overrides `credentialsRequired`.
 */
export function authenticateInto<O>(
  verifier: Verifier<O>,
  request: RequestLike | WebRequestLike,
  original: O,
  target: AuthTarget,
  done: Done,
  required?: boolean,
  respond?: Respond,
): void {
  recordChallenge(target, verifier.challenge);
  let outcome: MaybePromise<VerifyResult | undefined>;
  try {
    outcome = verifier.handle(request, original, required);
  } catch (error) {
    done(error);
    return;
  }
  if (outcome instanceof Promise) {
    outcome.then((auth) => {
      if (auth !== undefined) accept(verifier, original, target, auth, respond);
      done();
    }, done);
    return;
  }
  if (outcome !== undefined) accept(verifier, original, target, outcome, respond);
  done();
}

/** Sets headers on the framework's response (Express `res.set`, Koa `ctx.set`, Fastify `reply.headers`). */
export type Respond = (headers: Record<string, string>) => void;

/** Stores the result, and sends the headers the verifier left for this request (a fresh DPoP nonce). */
function accept<O>(
  verifier: Verifier<O>,
  original: O,
  target: AuthTarget,
  auth: VerifyResult,
  respond: Respond | undefined,
): void {
  target.auth = auth;
  if (auth.scheme === 'DPoP' && respond !== undefined) {
    const headers = verifier.responseHeaders(original);
    if (headers !== undefined) respond(headers);
  }
}

/**
 * {@link authenticateInto} for a framework with per-route settings (see
 * {@link routeRequirement}): skips, relaxes or forces authentication, and
 * fails closed with {@link routeSettingError} on a setting it does not know.
 * `route` names the route in that error.
 */
export function authenticateRoute<O>(
  verifier: Verifier<O>,
  request: RequestLike | WebRequestLike,
  original: O,
  target: AuthTarget,
  done: Done,
  setting: unknown,
  route: { method?: unknown; url?: unknown },
  respond?: Respond,
): void {
  const required = routeRequirement(setting);
  if (required === 'skip') return done();
  if (required === null) return done(routeSettingError(route.method, route.url, setting));
  authenticateInto(verifier, request, original, target, done, required, respond);
}

/**
 * The promise-style twin of {@link authenticateInto} (Koa): stores the
 * result, then returns what `next()` returns; throws (or rejects) on failure.
 */
export function authenticateThen<O, T>(
  verifier: Verifier<O>,
  request: RequestLike | WebRequestLike,
  original: O,
  target: AuthTarget,
  next: () => T,
  respond?: Respond,
): T | Promise<Awaited<T>> {
  recordChallenge(target, verifier.challenge);
  const outcome = verifier.handle(request, original);
  if (outcome instanceof Promise) {
    return outcome.then((auth) => {
      if (auth !== undefined) accept(verifier, original, target, auth, respond);
      return next();
    }) as Promise<Awaited<T>>;
  }
  if (outcome !== undefined) accept(verifier, original, target, outcome, respond);
  return next();
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

/** Throws {@link routeSettingError} when a route's setting is not one {@link routeRequirement} knows (at route declaration). */
export function assertRouteSetting(setting: unknown, method: unknown, url: unknown): void {
  if (routeRequirement(setting) === null) throw routeSettingError(method, url, setting);
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

/**
 * The answer for a request to the verifier's RFC 9728 metadata document, or
 * undefined when `url` is not its path (the query is ignored) or no
 * `protectedResource` is configured: then authenticate as usual. Served
 * without authentication: GET the JSON document, HEAD its headers only,
 * OPTIONS a CORS preflight answer, any other method 405 with `Allow`. The
 * response is the same whatever host the request reached. `url` is the
 * path the client asked for, before any mount point was stripped.
 *
 * @example
 * const m = protectedResourceResponse(verifier, req.method, req.originalUrl);
 * if (m !== undefined) return void res.writeHead(m.status, m.headers).end(m.body);
 */
export function protectedResourceResponse(
  verifier: Verifier<never>,
  method: string | undefined,
  url: string | undefined,
): ProtectedResourceResponse | undefined {
  return answerFor(verifier.options.protectedResource, method, url);
}
