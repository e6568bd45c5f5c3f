import type { Verifier, VerifierOptions, VerifyResult } from '@jwks-auth/core';
import type { RouteHelpers } from '@jwks-auth/core/adapter';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/** A `preHandler` (or `onRequest`) hook returned by the route helpers. */
export type JwksAuthHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

/** `app.jwksAuth`: the plugin's verifier (for `warmup()` and `close()`) and route helpers in its realm. */
export type JwksAuthDecorator = RouteHelpers<JwksAuthHook> & {
  readonly verifier: Verifier<FastifyRequest>;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the `jwksAuth` plugin: its verifier and route helpers. */
    jwksAuth: JwksAuthDecorator;
  }
  interface FastifyRequest {
    /** The verified token, set by the `jwksAuth` plugin; null when the route skipped auth or it was optional and no token was sent. */
    auth: VerifyResult | null;
  }
  interface FastifyContextConfig {
    /**
     * Per-route authentication: `false` skips it, `'optional'` lets requests
     * without a token through (an invalid token still fails), `true` requires a
     * token even when the plugin has `credentialsRequired: false`. Default: the
     * plugin's `credentialsRequired`.
     */
    jwksAuth?: boolean | 'optional';
  }
}

/** Options of the `jwksAuth` plugin: the core verifier options, with `getToken` receiving the Fastify `request`. */
export type JwksAuthOptions = VerifierOptions<FastifyRequest>;
