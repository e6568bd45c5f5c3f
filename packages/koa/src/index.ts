import { createVerifier } from '@jwks-auth/core';
import type { AuthCheck, Verifier } from '@jwks-auth/core';
import { authenticateThen, realmOf, recordRealm, routeHelpers } from '@jwks-auth/core/adapter';
import type { AuthTarget, RouteHelpers } from '@jwks-auth/core/adapter';
import type { Context, Middleware } from 'koa';
import type { JwksAuthOptions } from './types.js';

export type { JwksAuthOptions };
// Everything from the core, so users install one package; the route
// helpers below take the place of the core's checks of the same names.
export * from '@jwks-auth/core';

/**
 * The middleware returned by {@link jwksAuth}: its verifier (for `warmup()`
 * and `close()`) and route helpers whose challenges name its realm.
 */
export type JwksAuthMiddleware = Middleware &
  RouteHelpers<Middleware> & { readonly verifier: Verifier<Context> };

/** Route middleware running `check`; the realm is the middleware's, else the one recorded on the context. */
const guard =
  (realm?: string) =>
  (check: AuthCheck): Middleware =>
    function jwksAuthGuard(ctx: Context, next) {
      // A throw here rejects the middleware chain, which is what Koa expects.
      const outcome = check(ctx.state.auth, realm ?? realmOf(ctx));
      return outcome instanceof Promise ? outcome.then(next) : next();
    };

/**
 * Koa middleware that authenticates the bearer token of every request and
 * sets `ctx.state.auth`. Failures are thrown as a `JwksAuthError` whose
 * `status`, `headers` (`WWW-Authenticate`, `Retry-After`) and `expose` Koa's
 * `ctx.onerror` renders as they are. Options are validated here: a mistake
 * throws a `TypeError` now.
 *
 * @example
 * const auth = jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * app.use(auth);
 * router.post('/messages', auth.requiredScopes('write:messages'), handler);
 */
export function jwksAuth(options: JwksAuthOptions): JwksAuthMiddleware {
  // The core reads ctx.request; getToken receives ctx itself (`original`).
  const verifier = createVerifier<Context>(options);
  const { realm } = verifier.options;
  const authenticate: Middleware = (ctx, next) => {
    recordRealm(ctx, realm);
    return authenticateThen(verifier, ctx.request, ctx, ctx.state as AuthTarget, 'auth', next);
  };
  return Object.assign(authenticate, { verifier }, routeHelpers(guard(realm)));
}

/**
 * Route middleware for the realm of the `jwksAuth()` that ran (prefer the
 * ones on the middleware, `auth.requiredScopes(...)`, which always know it).
 *
 * @example
 * router.post('/messages', requiredScopes('write:messages'), handler);
 * router.get('/acme', claimEquals('org_id', 'acme'), handler);
 * router.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 * router.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
const standalone: RouteHelpers<Middleware> = routeHelpers(guard());
export const requiredScopes: RouteHelpers<Middleware>['requiredScopes'] = standalone.requiredScopes;
export const claimEquals: RouteHelpers<Middleware>['claimEquals'] = standalone.claimEquals;
export const claimIncludes: RouteHelpers<Middleware>['claimIncludes'] = standalone.claimIncludes;
export const claimCheck: RouteHelpers<Middleware>['claimCheck'] = standalone.claimCheck;
