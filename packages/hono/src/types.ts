import type { Verifier, VerifierOptions, VerifyResult } from '@jwks-auth/core';
import type { RouteHelpers } from '@jwks-auth/core/adapter';
import type { Context, MiddlewareHandler } from 'hono';

/** The variables `jwksAuth()` sets: `c.get('auth')` / `c.var.auth`. */
export interface JwksAuthVariables {
  /** The verified token; undefined when auth is optional and no token was sent. */
  auth?: VerifyResult;
}

/**
 * The Hono `Env` of `jwksAuth()` and its route helpers: handlers behind them
 * read `c.var.auth` typed, and `new Hono<JwksAuthEnv>()` types a whole app.
 */
export interface JwksAuthEnv {
  Variables: JwksAuthVariables;
}

/** Options of `jwksAuth()`: the core verifier options, with `getToken` receiving Hono's `Context`. */
export type JwksAuthOptions = VerifierOptions<Context>;

/**
 * How `jwksAuth()` and its route helpers answer a failure. `'respond'`
 * (default): they return the RFC 6750 response themselves (status,
 * `WWW-Authenticate`, `Retry-After`, JSON body). `'throw'`: they throw an
 * `HTTPException` carrying that response (`getResponse()`) and the
 * `JwksAuthError` as `cause`, for `app.onError`; Hono's default error
 * handler renders it unchanged.
 */
export interface JwksAuthHonoOptions {
  errors?: 'respond' | 'throw';
}

/** A route middleware of `jwksAuth()`'s route helpers. */
export type JwksAuthHandler = MiddlewareHandler<JwksAuthEnv>;

/**
 * The middleware returned by `jwksAuth()`: its verifier (for `warmup()` and
 * `close()`) and route helpers whose challenges name its realm.
 */
export type JwksAuthMiddleware = JwksAuthHandler &
  RouteHelpers<JwksAuthHandler> & { readonly verifier: Verifier<Context> };
