import { createVerifier } from '@jwks-auth/core';
import type { AuthCheck, Verifier } from '@jwks-auth/core';
import {
  authenticateInto,
  realmOf,
  recordRealm,
  routeHelpers,
  routeRequirement,
  routeSettingError,
  runCheck,
} from '@jwks-auth/core/adapter';
import type { AuthTarget, Done, RouteHelpers } from '@jwks-auth/core/adapter';
import type {
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import type { JwksAuthDecorator, JwksAuthHook, JwksAuthOptions } from './types.js';

export type { JwksAuthDecorator, JwksAuthHook, JwksAuthOptions };
// Everything from the core, so users install one package; the route
// helpers below take the place of the core's checks of the same names.
export * from '@jwks-auth/core';

/** A `preHandler` hook running `check`; the realm is the plugin's, else the one recorded on the request. */
const guard =
  (realm?: string) =>
  (check: AuthCheck): JwksAuthHook =>
    function jwksAuthGuard(request, _reply, done) {
      runCheck(check, request.auth, realm ?? realmOf(request), done as Done);
    };

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
  if (!app.hasRequestDecorator(Symbol.for('jwks-auth.realm'))) {
    app.decorateRequest(Symbol.for('jwks-auth.realm'), null);
  }
  if (!app.hasDecorator('jwksAuth')) {
    const decorator: JwksAuthDecorator = { verifier, ...routeHelpers(guard(realm)) };
    app.decorate('jwksAuth', decorator);
  }

  // A typo in a route's config fails when the route is declared after the
  // plugin; one declared before it fails at its first request (below).
  app.addHook('onRoute', (route) => {
    const setting = (route.config as { jwksAuth?: unknown } | undefined)?.jwksAuth;
    if (routeRequirement(setting) === null)
      throw routeSettingError(route.method, route.url, setting);
  });

  function authenticate(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const next = done as Done;
    const setting: unknown = request.routeOptions.config.jwksAuth;
    const required = routeRequirement(setting);
    if (required === 'skip') return next();
    // Fail closed: an unknown setting never lets a request through.
    if (required === null) {
      return next(
        routeSettingError(request.routeOptions.method, request.routeOptions.url, setting),
      );
    }
    recordRealm(request, realm);
    authenticateInto(
      verifier,
      request,
      request,
      required,
      request as unknown as AuthTarget,
      'auth',
      next,
    );
  }
  // A token in the body (RFC 6750 §2.2) can only be read once the body is parsed.
  app.addHook(verifier.options.allowBodyToken ? 'preValidation' : 'onRequest', authenticate);

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
 * `config: { jwksAuth: false | 'optional' | true }` skips, relaxes or forces
 * it. `app.jwksAuth` holds the plugin's verifier (for `warmup()`) and route
 * helpers whose challenges name its realm.
 *
 * @example
 * await app.register(jwksAuth, { issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * await app.jwksAuth.verifier.warmup();
 * app.get('/me', async (request) => ({ sub: request.auth?.payload.sub }));
 * app.post('/messages', { preHandler: app.jwksAuth.requiredScopes('write:messages') }, handler);
 */
export const jwksAuth = fp(plugin, { name: '@jwks-auth/fastify', fastify: '5.x' });
export default jwksAuth;

/**
 * `preHandler` hooks for the realm of the plugin that ran (prefer the ones on
 * `app.jwksAuth`, which always know it).
 *
 * @example
 * app.post('/messages', { preHandler: requiredScopes('write:messages') }, handler);
 * app.get('/acme', { preHandler: claimEquals('org_id', 'acme') }, handler);
 * app.delete('/users/:id', { preHandler: claimIncludes('roles', 'admin') }, handler);
 * app.get('/inbox', { preHandler: claimCheck((p) => p.email_verified === true, 'email must be verified') }, handler);
 */
const standalone: RouteHelpers<JwksAuthHook> = routeHelpers(guard());
export const requiredScopes: RouteHelpers<JwksAuthHook>['requiredScopes'] =
  standalone.requiredScopes;
export const claimEquals: RouteHelpers<JwksAuthHook>['claimEquals'] = standalone.claimEquals;
export const claimIncludes: RouteHelpers<JwksAuthHook>['claimIncludes'] = standalone.claimIncludes;
export const claimCheck: RouteHelpers<JwksAuthHook>['claimCheck'] = standalone.claimCheck;
