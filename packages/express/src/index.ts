import {
  DEFAULT_REALM,
  bearerErrorBody,
  createVerifier,
  claimCheck as coreClaimCheck,
  claimEquals as coreClaimEquals,
  claimIncludes as coreClaimIncludes,
  isJwksAuthError,
  requiredScopes as coreRequiredScopes,
} from '@jwks-auth/core';
import type {
  AuthCheck,
  BearerErrorBody,
  JWTPayload,
  RequiredScopesOptions,
  Verifier,
  VerifyResult,
} from '@jwks-auth/core';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthenticatedRequest, JwksAuthOptions } from './types.js';

export type { AuthenticatedRequest, JwksAuthOptions };
// Everything from the core, so users install one package; the route
// helpers below take the place of the core's functions of the same names.
export * from '@jwks-auth/core';

/** The middleware returned by {@link jwksAuth}, with its verifier for `warmup()` and `close()`. */
export type JwksAuthMiddleware = RequestHandler & { readonly verifier: Verifier<Request> };

// Realm of the jwksAuth() instance that saw the request, read by the route
// helpers so their 401/403 challenges name the same realm.
const REALM: unique symbol = Symbol('jwks-auth.realm');
type WithRealm = { [REALM]?: string };

/**
 * Express middleware that authenticates the bearer token of every request and
 * sets `req.auth`. Failures go to `next(err)` as a `JwksAuthError` whose
 * `status` and `headers` (`WWW-Authenticate`, `Retry-After`) Express renders
 * as they are. Options are validated here: a mistake throws a `TypeError` now.
 *
 * @example
 * app.use(jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' }));
 * app.get('/me', (req, res) => res.json({ sub: req.auth?.payload.sub }));
 */
export function jwksAuth(options: JwksAuthOptions): JwksAuthMiddleware {
  const verifier = createVerifier<Request>(options);
  const { realm } = verifier.options;

  function authenticate(req: Request, _res: Response, next: NextFunction): void {
    // Only a non-default realm needs recording: the helpers default to "api",
    // and adding a property to every request costs time on the hot path.
    if (realm !== DEFAULT_REALM) (req as Request & WithRealm)[REALM] = realm;
    let outcome: VerifyResult | undefined | Promise<VerifyResult | undefined>;
    try {
      outcome = verifier.handle(req, req);
    } catch (error) {
      return next(error);
    }
    if (outcome instanceof Promise) {
      outcome.then((auth) => {
        if (auth !== undefined) req.auth = auth;
        next();
      }, next);
      return;
    }
    // Cache hit: answered synchronously, no promise on this path.
    if (outcome !== undefined) req.auth = outcome;
    next();
  }

  return Object.assign(authenticate, { verifier });
}

function guard(check: AuthCheck): RequestHandler {
  return function jwksAuthGuard(req, _res, next) {
    let outcome;
    try {
      outcome = check(req.auth, (req as Request & WithRealm)[REALM]);
    } catch (error) {
      return next(error);
    }
    if (outcome instanceof Promise) {
      outcome.then(() => next(), next);
      return;
    }
    next();
  };
}

/**
 * Route middleware requiring scopes (all, or any one with `{ any: true }`) in
 * `scope`, `scp` or `permissions`. Fails with 403 `insufficient_scope`.
 *
 * @example
 * app.post('/messages', requiredScopes('write:messages'), handler);
 */
export function requiredScopes(
  scopes: string | readonly string[],
  options?: RequiredScopesOptions,
): RequestHandler {
  return guard(coreRequiredScopes(scopes, options));
}

/**
 * Route middleware requiring a claim to equal a value. Fails with 403.
 *
 * @example
 * app.get('/acme', claimEquals('org_id', 'acme'), handler);
 */
export function claimEquals(
  claim: string,
  value: string | number | boolean | null,
): RequestHandler {
  return guard(coreClaimEquals(claim, value));
}

/**
 * Route middleware requiring a claim (array or space-separated string) to include every value. Fails with 403.
 *
 * @example
 * app.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 */
export function claimIncludes(
  claim: string,
  ...values: Array<string | number | boolean>
): RequestHandler {
  return guard(coreClaimIncludes(claim, ...values));
}

/**
 * Route middleware running a predicate over the verified claims; `description`
 * becomes the 403 `error_description`.
 *
 * @example
 * app.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
export function claimCheck(
  check: (payload: Readonly<JWTPayload>) => boolean | PromiseLike<boolean>,
  description: string,
): RequestHandler {
  return guard(coreClaimCheck(check, description));
}

/** JSON body written by {@link jwksAuthErrorHandler} (the core's `bearerErrorBody`). */
export type JwksAuthErrorBody = BearerErrorBody;

/**
 * Optional error middleware answering `JwksAuthError`s with an RFC 6750 JSON
 * body, plus their status and headers. Other errors go to `next(err)`.
 *
 * @example
 * app.use(jwksAuthErrorHandler());
 */
export function jwksAuthErrorHandler(): ErrorRequestHandler {
  return function renderJwksAuthError(err, _req, res, next) {
    if (!isJwksAuthError(err) || res.headersSent) return next(err);
    res.status(err.status).set(err.headers).json(bearerErrorBody(err));
  };
}
