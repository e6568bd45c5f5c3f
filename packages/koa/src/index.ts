import { createVerifier } from '@jwks-auth/core';
import type { AuthCheck, Verifier } from '@jwks-auth/core';
import {
  authenticateThen,
  challengeOf,
  checkThen,
  protectedResourceResponse,
  requestFor,
  routeHelpers,
} from '@jwks-auth/core/adapter';
import type { AuthTarget, ChallengeOptions, RouteHelpers } from '@jwks-auth/core/adapter';
import type { Context, Middleware } from 'koa';
import type { JwksAuthOptions } from './types.js';

export type { JwksAuthOptions };
// The core's surface, so users install one package; the route helpers
// below are this adapter's (framework handlers, not the core's checks).
export * from '@jwks-auth/core/common';

/**
 * The middleware returned by {@link jwksAuth}: its verifier (for `warmup()`
 * and `close()`) and route helpers whose challenges name its realm.
 */
export type JwksAuthMiddleware = Middleware &
  RouteHelpers<Middleware> & { readonly verifier: Verifier<Context> };

/** Route middleware running `check`; the challenge is the middleware's, else the one recorded on `ctx.state`. */
const guard =
  (challenge?: Readonly<ChallengeOptions>) =>
  (check: AuthCheck): Middleware =>
    function jwksAuthGuard(ctx: Context, next) {
      return checkThen(check, ctx.state.auth, challenge ?? challengeOf(ctx.state), next);
    };

/**
 * Koa middleware that authenticates the bearer token of every request and
 * sets `ctx.state.auth`. Failures are thrown as a `JwksAuthError` whose
 * `status`, `headers` (`WWW-Authenticate`, `Retry-After`) and `expose` Koa's
 * `ctx.onerror` renders as they are. Options are validated here: a mistake
 * throws a `TypeError` now. With `protectedResource`, it also answers its
 * RFC 9728 metadata document (mount it before any router, unprefixed).
 *
 * @example
 * const auth = jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * app.use(auth);
 * router.post('/messages', auth.requiredScopes('write:messages'), handler);
 */
export function jwksAuth(options: JwksAuthOptions): JwksAuthMiddleware {
  // The core reads ctx.req (ctx.request when it may read the query or body);
  // getToken receives ctx itself (`original`).
  const verifier = createVerifier<Context>(options, {
    // Not ctx.origin: Koa 3 made it the Origin header.
    targetOf: (ctx) => ({ origin: `${ctx.protocol}://${ctx.host}`, path: ctx.originalUrl }),
  });
  const nonces = verifier.options.dpop?.nonce !== undefined;
  const authenticate: Middleware = (ctx, next) => {
    const metadata = protectedResourceResponse(verifier, ctx.method, ctx.originalUrl);
    if (metadata !== undefined) {
      ctx.status = metadata.status;
      ctx.set(metadata.headers);
      // HEAD keeps the document's Content-Length; Koa writes no body for HEAD.
      if (metadata.body !== undefined) ctx.body = metadata.body;
      return Promise.resolve();
    }
    return authenticateThen(
      verifier,
      requestFor(verifier, ctx.req, ctx.request),
      ctx,
      ctx.state as AuthTarget,
      next,
      nonces ? (headers) => ctx.set(headers) : undefined,
    );
  };
  return Object.assign(authenticate, { verifier }, routeHelpers(guard(verifier.challenge)));
}

/**
 * Route middleware for the realm of the `jwksAuth()` that ran (prefer the
 * ones on the middleware, `auth.requiredScopes(...)`, which always know it).
 *
 * @example
 * router.post('/messages', requiredScopes('write:messages'), handler);
 * router.get('/acme', claimEquals('org_id', 'acme'), handler);
 * router.post('/transfer', requiredAuthentication({ maxAge: 300 }), handler);
 * router.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 * router.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
const standalone: RouteHelpers<Middleware> = routeHelpers(guard());
export const requiredScopes: RouteHelpers<Middleware>['requiredScopes'] = standalone.requiredScopes;
export const requiredAuthentication: RouteHelpers<Middleware>['requiredAuthentication'] =
  standalone.requiredAuthentication;
export const claimEquals: RouteHelpers<Middleware>['claimEquals'] = standalone.claimEquals;
export const claimIncludes: RouteHelpers<Middleware>['claimIncludes'] = standalone.claimIncludes;
export const claimCheck: RouteHelpers<Middleware>['claimCheck'] = standalone.claimCheck;
