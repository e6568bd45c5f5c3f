import {
  DEFAULT_REALM,
  createVerifier,
  claimCheck as coreClaimCheck,
  claimEquals as coreClaimEquals,
  claimIncludes as coreClaimIncludes,
  requiredScopes as coreRequiredScopes,
} from '@jwks-auth/core';
import type {
  AuthCheck,
  JWTPayload,
  RequiredScopesOptions,
  Verifier,
  VerifyResult,
} from '@jwks-auth/core';
import type {
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import type { JwksAuthOptions } from './types.js';

export type { JwksAuthOptions };
// Everything from the core, so users install one package; the route
// helpers below take the place of the core's functions of the same names.
export * from '@jwks-auth/core';

/** A `preHandler` (or `onRequest`) hook returned by the route helpers. */
export type JwksAuthHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

// Realm of the plugin instance that authenticated the request, read by the
// route helpers so their 401/403 challenges name the same realm.
const REALM: unique symbol = Symbol('jwks-auth.realm');
type WithRealm = { [REALM]: string | null };

const ROUTE_SETTINGS: ReadonlyArray<unknown> = [undefined, true, false, 'optional'];

function settingError(method: unknown, url: unknown, setting: unknown): TypeError {
  return new TypeError(
    `route ${String(method)} ${String(url)}: config.jwksAuth must be true, false or 'optional', got ${JSON.stringify(setting) ?? String(setting)}`,
  );
}

/** Options Fastify's `register` itself reads; they are not the verifier's. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

const plugin: FastifyPluginCallback<JwksAuthOptions> = (app, options, done) => {
  let verifier: Verifier<FastifyRequest>;
  try {
    const verifierOptions: Record<string, unknown> = { ...options };
    for (const name of REGISTER_OPTIONS) delete verifierOptions[name];
    verifier = createVerifier<FastifyRequest>(verifierOptions as unknown as JwksAuthOptions);
  } catch (error) {
    return done(error as Error);
  }
  const { realm } = verifier.options;

  // Decorated up front so every request has the same shape (Fastify's advice);
  // a second registration in the same scope reuses the decorations.
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  if (!app.hasRequestDecorator(REALM)) app.decorateRequest(REALM, null);

  // A typo in a route's config fails when the route is declared after the
  // plugin; one declared before it fails at its first request (below).
  app.addHook('onRoute', (route) => {
    const setting = (route.config as { jwksAuth?: unknown } | undefined)?.jwksAuth;
    if (!ROUTE_SETTINGS.includes(setting)) throw settingError(route.method, route.url, setting);
  });

  const authenticate = (
    request: FastifyRequest,
    _reply: FastifyReply,
    next: HookHandlerDoneFunction,
  ): void => {
    const setting: unknown = request.routeOptions.config.jwksAuth;
    let required: boolean | undefined;
    if (setting === undefined) required = undefined;
    else if (setting === true) required = true;
    else if (setting === 'optional') required = false;
    else if (setting === false) return next();
    else {
      // Fail closed: an unknown setting never lets a request through.
      const { method, url } = request.routeOptions;
      return next(settingError(method, url, setting));
    }
    if (realm !== DEFAULT_REALM) (request as FastifyRequest & WithRealm)[REALM] = realm;
    let outcome: VerifyResult | undefined | Promise<VerifyResult | undefined>;
    try {
      outcome = verifier.handle(request, request, required);
    } catch (error) {
      return next(error as Error);
    }
    if (outcome instanceof Promise) {
      outcome.then((auth) => {
        if (auth !== undefined) request.auth = auth;
        next();
      }, next);
      return;
    }
    // Cache hit: answered synchronously, no promise on this path.
    if (outcome !== undefined) request.auth = outcome;
    next();
  };
  // A token in the body (RFC 6750 §2.2) can only be read once the body is parsed.
  if (verifier.options.allowBodyToken) app.addHook('preValidation', authenticate);
  else app.addHook('onRequest', authenticate);

  app.addHook('onClose', (_instance, closed) => {
    verifier.close();
    closed();
  });
  done();
};

/**
 * Fastify plugin authenticating the bearer token of every route in the scope
 * it is registered in (an `onRequest` hook; `preValidation` with
 * `allowBodyToken`, since the body must be parsed) and setting `request.auth`.
 * Failures reach Fastify's error handler as a `JwksAuthError` carrying
 * `statusCode` and `headers` (`WWW-Authenticate`, `Retry-After`). Per route,
 * `config: { jwksAuth: false | 'optional' | true }` skips, relaxes or forces it.
 *
 * @example
 * await app.register(jwksAuth, { issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * app.get('/me', async (request) => ({ sub: request.auth?.payload.sub }));
 */
export const jwksAuth = fp(plugin, { name: '@jwks-auth/fastify', fastify: '5.x' });
export default jwksAuth;

function guard(check: AuthCheck): JwksAuthHook {
  return function jwksAuthGuard(request, _reply, done) {
    let outcome;
    try {
      outcome = check(request.auth, (request as FastifyRequest & WithRealm)[REALM] ?? undefined);
    } catch (error) {
      return done(error as Error);
    }
    if (outcome instanceof Promise) {
      outcome.then(() => done(), done);
      return;
    }
    done();
  };
}

/**
 * `preHandler` hook requiring scopes (all, or any one with `{ any: true }`) in
 * `scope`, `scp` or `permissions`. Fails with 403 `insufficient_scope`.
 *
 * @example
 * app.post('/messages', { preHandler: requiredScopes('write:messages') }, handler);
 */
export function requiredScopes(
  scopes: string | readonly string[],
  options?: RequiredScopesOptions,
): JwksAuthHook {
  return guard(coreRequiredScopes(scopes, options));
}

/**
 * `preHandler` hook requiring a claim to equal a value. Fails with 403.
 *
 * @example
 * app.get('/acme', { preHandler: claimEquals('org_id', 'acme') }, handler);
 */
export function claimEquals(claim: string, value: string | number | boolean | null): JwksAuthHook {
  return guard(coreClaimEquals(claim, value));
}

/**
 * `preHandler` hook requiring a claim (array or space-separated string) to include every value. Fails with 403.
 *
 * @example
 * app.delete('/users/:id', { preHandler: claimIncludes('roles', 'admin') }, handler);
 */
export function claimIncludes(
  claim: string,
  ...values: Array<string | number | boolean>
): JwksAuthHook {
  return guard(coreClaimIncludes(claim, ...values));
}

/**
 * `preHandler` hook running a predicate over the verified claims; `description`
 * becomes the 403 `error_description`.
 *
 * @example
 * app.get('/inbox', { preHandler: claimCheck((p) => p.email_verified === true, 'email must be verified') }, handler);
 */
export function claimCheck(
  check: (payload: Readonly<JWTPayload>) => boolean | PromiseLike<boolean>,
  description: string,
): JwksAuthHook {
  return guard(coreClaimCheck(check, description));
}
