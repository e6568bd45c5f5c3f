import type { VerifierOptions, VerifyResult } from '@jwks-auth/core';
import type { Context } from 'koa';

declare module 'koa' {
  interface DefaultState {
    /** The verified token, set by `jwksAuth()`; undefined when auth is optional and no token was sent. */
    auth?: VerifyResult;
  }
}

/** Options of `jwksAuth()`: the core verifier options, with `getToken` receiving the Koa `ctx`. */
export type JwksAuthOptions = VerifierOptions<Context>;
