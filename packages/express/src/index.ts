import { createVerifier } from '@jwks-auth/core';
import type { BearerErrorBody, Verifier } from '@jwks-auth/core';
import {
  authenticateInto,
  callbackGuard,
  errorResponse,
  protectedResourceResponse,
  routeHelpers,
} from '@jwks-auth/core/adapter';
import type { AuthTarget, RouteHelpers } from '@jwks-auth/core/adapter';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AuthenticatedRequest, JwksAuthOptions } from './types.js';

export type { AuthenticatedRequest, JwksAuthOptions };
// The core's surface, so users install one package; the route helpers
// below are this adapter's (framework handlers, not the core's checks).
export * from '@jwks-auth/core/common';

/**
 * The middleware returned by {@link jwksAuth}: its verifier (for `warmup()`
 * and `close()`) and route helpers whose challenges name its realm.
 */
export type JwksAuthMiddleware = RequestHandler &
  RouteHelpers<RequestHandler> & { readonly verifier: Verifier<Request> };

/**
 * The public origin and original path of a request, for DPoP's `htu`:
 * proxy-aware as `trust proxy` says (Express 5 `req.host`; Express 4 has no
 * host with its port, so there the port comes from the Host header when that
 * is what `req.hostname` read). Setting `dpop.origin` is safer.
 */
function targetOf(req: Request): { origin: string; path: string } {
  const legacy = typeof (req as { param?: unknown }).param === 'function'; // Express 4
  let host: string = legacy ? req.hostname : req.host;
  const header = req.headers.host;
  if (legacy && header?.startsWith(`${host}:`)) host = header;
  return { origin: `${req.protocol}://${host}`, path: req.originalUrl };
}

/**
 * Express middleware that authenticates the bearer token of every request and
 * sets `req.auth`. Failures go to `next(err)` as a `JwksAuthError` whose
 * `status` and `headers` (`WWW-Authenticate`, `Retry-After`) Express renders
 * as they are. Options are validated here: a mistake throws a `TypeError` now.
 * With `protectedResource`, it also answers its RFC 9728 metadata document
 * (mount it at the root: the well-known path is absolute).
 *
 * @example
 * const auth = jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * app.use(auth);
 * app.get('/me', (req, res) => res.json({ sub: req.auth?.payload.sub }));
 * app.post('/messages', auth.requiredScopes('write:messages'), handler);
 */
export function jwksAuth(options: JwksAuthOptions): JwksAuthMiddleware {
  const verifier = createVerifier<Request>(options, { targetOf });
  const nonces = verifier.options.dpop?.nonce !== undefined;
  function authenticate(req: Request, res: Response, next: (error?: unknown) => void): void {
    const metadata = protectedResourceResponse(verifier, req.method, req.originalUrl);
    if (metadata !== undefined)
      return void res.writeHead(metadata.status, metadata.headers).end(metadata.body);
    const respond = nonces ? (headers: Record<string, string>) => res.set(headers) : undefined;
    authenticateInto(verifier, req, req, req as unknown as AuthTarget, next, undefined, respond);
  }
  return Object.assign(
    authenticate as RequestHandler,
    { verifier },
    routeHelpers(callbackGuard<RequestHandler>(verifier.challenge)),
  );
}

/**
 * Route middleware for the realm of the `jwksAuth()` that ran (prefer the
 * ones on the middleware, `auth.requiredScopes(...)`, which always know it).
 *
 * @example
 * app.post('/messages', requiredScopes('write:messages'), handler);
 * app.get('/acme', claimEquals('org_id', 'acme'), handler);
 * app.post('/transfer', requiredAuthentication({ acrValues: ['urn:example:mfa'] }), handler);
 * app.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 * app.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
const standalone: RouteHelpers<RequestHandler> = routeHelpers(callbackGuard<RequestHandler>());
export const requiredScopes: RouteHelpers<RequestHandler>['requiredScopes'] =
  standalone.requiredScopes;
export const requiredAuthentication: RouteHelpers<RequestHandler>['requiredAuthentication'] =
  standalone.requiredAuthentication;
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
