import { createVerifier } from '@jwks-auth/core';
import type { AuthCheck, BearerErrorBody, Verifier } from '@jwks-auth/core';
import {
  authenticateInto,
  errorResponse,
  realmOf,
  recordRealm,
  routeHelpers,
  runCheck,
} from '@jwks-auth/core/adapter';
import type { AuthTarget, RouteHelpers } from '@jwks-auth/core/adapter';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { AuthenticatedRequest, JwksAuthOptions } from './types.js';

export type { AuthenticatedRequest, JwksAuthOptions };
// Everything from the core, so users install one package; the route
// helpers below take the place of the core's checks of the same names.
export * from '@jwks-auth/core';

/**
 * The middleware returned by {@link jwksAuth}: its verifier (for `warmup()`
 * and `close()`) and route helpers whose challenges name its realm.
 */
export type JwksAuthMiddleware = RequestHandler &
  RouteHelpers<RequestHandler> & { readonly verifier: Verifier<Request> };

/** Route middleware running `check`; the realm is the middleware's, else the one recorded on the request. */
const guard =
  (realm?: string) =>
  (check: AuthCheck): RequestHandler =>
    function jwksAuthGuard(req, _res, next) {
      runCheck(check, req.auth, realm ?? realmOf(req), next);
    };

/**
 * Express middleware that authenticates the bearer token of every request and
 * sets `req.auth`. Failures go to `next(err)` as a `JwksAuthError` whose
 * `status` and `headers` (`WWW-Authenticate`, `Retry-After`) Express renders
 * as they are. Options are validated here: a mistake throws a `TypeError` now.
 *
 * @example
 * const auth = jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * app.use(auth);
 * app.get('/me', (req, res) => res.json({ sub: req.auth?.payload.sub }));
 * app.post('/messages', auth.requiredScopes('write:messages'), handler);
 */
export function jwksAuth(options: JwksAuthOptions): JwksAuthMiddleware {
  const verifier = createVerifier<Request>(options);
  const { realm } = verifier.options;
  function authenticate(req: Request, _res: unknown, next: (error?: unknown) => void): void {
    recordRealm(req, realm);
    authenticateInto(verifier, req, req, undefined, req as unknown as AuthTarget, 'auth', next);
  }
  return Object.assign(authenticate as RequestHandler, { verifier }, routeHelpers(guard(realm)));
}

/**
 * Route middleware for the realm of the `jwksAuth()` that ran (prefer the
 * ones on the middleware, `auth.requiredScopes(...)`, which always know it).
 *
 * @example
 * app.post('/messages', requiredScopes('write:messages'), handler);
 * app.get('/acme', claimEquals('org_id', 'acme'), handler);
 * app.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 * app.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
const standalone: RouteHelpers<RequestHandler> = routeHelpers(guard());
export const requiredScopes: RouteHelpers<RequestHandler>['requiredScopes'] =
  standalone.requiredScopes;
export const claimEquals: RouteHelpers<RequestHandler>['claimEquals'] = standalone.claimEquals;
export const claimIncludes: RouteHelpers<RequestHandler>['claimIncludes'] =
  standalone.claimIncludes;
export const claimCheck: RouteHelpers<RequestHandler>['claimCheck'] = standalone.claimCheck;

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
    const response = errorResponse(err);
    if (response === undefined || res.headersSent) return next(err);
    res.status(response.status).set(response.headers).json(response.body);
  };
}
