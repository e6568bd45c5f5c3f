import { createVerifier } from '@jwks-auth/core';
import type { Verifier } from '@jwks-auth/core';
import {
  CHALLENGE_KEY,
  assertRouteSetting,
  authenticateRoute,
  callbackGuard,
  protectedResourceResponse,
  routeHelpers,
} from '@jwks-auth/core/adapter';
import type { AuthTarget, Done, RouteHelpers } from '@jwks-auth/core/adapter';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { JwksAuthDecorator, JwksAuthHook, JwksAuthOptions } from './types.js';

export type { JwksAuthDecorator, JwksAuthHook, JwksAuthOptions };
// The core's surface, so users install one package; the route helpers
// below are this adapter's (hooks, not the core's checks).
export * from '@jwks-auth/core/common';

/** Options Fastify's `register` itself reads; they are not the verifier's. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers']);

const plugin: FastifyPluginCallback<JwksAuthOptions> = (app, options, done) => {
  let verifier: Verifier<FastifyRequest>;
  try {
    const own = Object.entries(options).filter(([name]) => !REGISTER_OPTIONS.has(name));
    verifier = createVerifier<FastifyRequest>(Object.fromEntries(own) as JwksAuthOptions, {
      targetOf: (req) => ({ origin: `${req.protocol}://${req.host}`, path: req.url }),
    });
  } catch (error) {
    return done(error as Error);
  }
  const nonces = verifier.options.dpop?.nonce !== undefined;
  // Decorated up front so every request has the same shape (Fastify's advice);
  // a second registration in the same scope reuses the decorations.
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  if (!app.hasRequestDecorator(CHALLENGE_KEY)) app.decorateRequest(CHALLENGE_KEY, null);
  if (!app.hasDecorator('jwksAuth')) {
    const decorator: JwksAuthDecorator = {
      verifier,
      ...routeHelpers(callbackGuard<JwksAuthHook>(verifier.challenge)),
    };
    app.decorate('jwksAuth', decorator);
  }
  // A typo in a route's config throws when the route is declared after the
  // plugin; one declared before it fails closed at each request (below).
  app.addHook('onRoute', ({ config, method, url }) =>
    assertRouteSetting((config as { jwksAuth?: unknown } | undefined)?.jwksAuth, method, url),
  );
  const authenticate: JwksAuthHook = (request, reply, next) => {
    const route = request.routeOptions;
    const target = request as unknown as AuthTarget;
    const setting = route.config.jwksAuth;
    const respond = nonces ? (h: Record<string, string>) => void reply.headers(h) : undefined;
    authenticateRoute(verifier, request, request, target, next as Done, setting, route, respond);
  };
  const metadataPath = verifier.options.protectedResource?.metadataPath;
  if (metadataPath !== undefined) {
    // The challenges name the document at the absolute well-known path: a
    // prefix would serve it elsewhere, and clients would never find it.
    if (app.prefix !== '') {
      return done(
        new TypeError(
          `"protectedResource" needs the plugin registered without a prefix (this scope has "${app.prefix}"): its document lives at ${metadataPath}`,
        ),
      );
    }
    // RFC 9728 metadata, public: these routes skip authentication.
    app.route({
      method: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'],
      // A literal path: ':' would start a route parameter (find-my-way's escape is '::').
      url: metadataPath.replaceAll(':', '::'),
      config: { jwksAuth: false },
      exposeHeadRoute: false,
      handler(request, reply) {
        const m = protectedResourceResponse(verifier, request.method, metadataPath)!;
        return reply.code(m.status).headers(m.headers).send(m.body);
      },
    });
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
 * Fastify plugin: authenticates every route of its scope (`onRequest`;
 * `preValidation` with `allowBodyToken`) and sets `request.auth`. With
 * `protectedResource`, it registers the RFC 9728 metadata route (GET, HEAD,
 * OPTIONS; 405 for other methods), which skips authentication. Failures
 * reach Fastify's error handler as a `JwksAuthError` (`statusCode`, `headers`).
 * Per route, `config: { jwksAuth: false | 'optional' | true }`. `app.jwksAuth`
 * holds its verifier (for `warmup()`) and route helpers with its challenge.
 *
 * @example
 * await app.register(jwksAuth, { issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * app.post('/messages', { preHandler: app.jwksAuth.requiredScopes('write:messages') }, handler);
 */
export const jwksAuth = fp(plugin, { name: '@jwks-auth/fastify', fastify: '5.x' });
export default jwksAuth;

/**
 * `preHandler` hooks for the plugin that ran (prefer those on `app.jwksAuth`).
 *
 * @example
 * app.post('/messages', { preHandler: requiredScopes('write:messages') }, handler);
 */
const standalone: RouteHelpers<JwksAuthHook> = routeHelpers(callbackGuard<JwksAuthHook>());
export const requiredScopes: RouteHelpers<JwksAuthHook>['requiredScopes'] =
  standalone.requiredScopes;
export const requiredAuthentication: RouteHelpers<JwksAuthHook>['requiredAuthentication'] =
  standalone.requiredAuthentication;
export const claimEquals: RouteHelpers<JwksAuthHook>['claimEquals'] = standalone.claimEquals;
export const claimIncludes: RouteHelpers<JwksAuthHook>['claimIncludes'] = standalone.claimIncludes;
export const claimCheck: RouteHelpers<JwksAuthHook>['claimCheck'] = standalone.claimCheck;
