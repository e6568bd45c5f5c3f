import {
  DEFAULT_REALM,
  createVerifier,
  claimCheck as coreClaimCheck,
  claimEquals as coreClaimEquals,
  claimIncludes as coreClaimIncludes,
  requiredScopes as coreRequiredScopes,
} from '@jwks-auth/core';
import type { AuthCheck, JWTPayload, RequiredScopesOptions, Verifier } from '@jwks-auth/core';
import type { Context, Middleware } from 'koa';
import type { JwksAuthOptions } from './types.js';

export type { JwksAuthOptions };
// Everything from the core, so users install one package; the route
// helpers below take the place of the core's functions of the same names.
export * from '@jwks-auth/core';

/** The middleware returned by {@link jwksAuth}, with its verifier for `warmup()` and `close()`. */
export type JwksAuthMiddleware = Middleware & { readonly verifier: Verifier<Context> };

// Realm of the jwksAuth() instance that saw the request, read by the route
// helpers so their 401/403 challenges name the same realm.
const REALM: unique symbol = Symbol('jwks-auth.realm');

/**
 * Koa middleware that authenticates the bearer token of every request and
 * sets `ctx.state.auth`. Failures are thrown as a `JwksAuthError` whose
 * `status`, `headers` (`WWW-Authenticate`, `Retry-After`) and `expose` Koa's
 * `ctx.onerror` renders as they are. Options are validated here: a mistake
 * throws a `TypeError` now.
 *
 * @example
 * app.use(jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' }));
 * app.use((ctx) => { ctx.body = { sub: ctx.state.auth?.payload.sub }; });
 */
export function jwksAuth(options: JwksAuthOptions): JwksAuthMiddleware {
  // The core reads ctx.request; getToken receives ctx itself (`original`).
  const verifier = createVerifier<Context>(options);
  const { realm } = verifier.options;

  const authenticate: Middleware = (ctx, next) => {
    // Only a non-default realm needs recording (the helpers default to "api"):
    // adding a property to every context costs time on the hot path.
    if (realm !== DEFAULT_REALM) ctx[REALM] = realm;
    // A throw here rejects the middleware chain, which is what Koa expects.
    const outcome = verifier.handle(ctx.request, ctx);
    if (outcome instanceof Promise) {
      return outcome.then((auth) => {
        if (auth !== undefined) ctx.state.auth = auth;
        return next();
      });
    }
    // Cache hit: answered synchronously, no extra promise on this path.
    if (outcome !== undefined) ctx.state.auth = outcome;
    return next();
  };

  return Object.assign(authenticate, { verifier });
}

function guard(check: AuthCheck): Middleware {
  return function jwksAuthGuard(ctx: Context, next) {
    const outcome = check(ctx.state.auth, ctx[REALM] as string | undefined);
    return outcome instanceof Promise ? outcome.then(next) : next();
  };
}

/**
 * Route middleware requiring scopes (all, or any one with `{ any: true }`) in
 * `scope`, `scp` or `permissions`. Throws 403 `insufficient_scope`.
 *
 * @example
 * router.post('/messages', requiredScopes('write:messages'), handler);
 */
export function requiredScopes(
  scopes: string | readonly string[],
  options?: RequiredScopesOptions,
): Middleware {
  return guard(coreRequiredScopes(scopes, options));
}

/**
 * Route middleware requiring a claim to equal a value. Throws 403.
 *
 * @example
 * router.get('/acme', claimEquals('org_id', 'acme'), handler);
 */
export function claimEquals(claim: string, value: string | number | boolean | null): Middleware {
  return guard(coreClaimEquals(claim, value));
}

/**
 * Route middleware requiring a claim (array or space-separated string) to include every value. Throws 403.
 *
 * @example
 * router.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 */
export function claimIncludes(
  claim: string,
  ...values: Array<string | number | boolean>
): Middleware {
  return guard(coreClaimIncludes(claim, ...values));
}

/**
 * Route middleware running a predicate over the verified claims; `description`
 * becomes the 403 `error_description`.
 *
 * @example
 * router.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
export function claimCheck(
  check: (payload: Readonly<JWTPayload>) => boolean | PromiseLike<boolean>,
  description: string,
): Middleware {
  return guard(coreClaimCheck(check, description));
}
