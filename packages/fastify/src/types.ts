import type { VerifierOptions, VerifyResult } from '@jwks-auth/core';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
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
