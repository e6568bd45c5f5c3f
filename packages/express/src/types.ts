import type { VerifierOptions, VerifyResult } from '@jwks-auth/core';
import type { Request } from 'express';

declare global {
  // Express's own extension point for request properties (@types/express).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified token, set by `jwksAuth()`; undefined when auth is optional and no token was sent. */
      auth?: VerifyResult;
    }
  }
}

/** Options of `jwksAuth()`: the core verifier options, with `getToken` receiving the Express `req`. */
export type JwksAuthOptions = VerifierOptions<Request>;

/** A request that passed `jwksAuth()` with a token. */
export type AuthenticatedRequest = Request & { auth: VerifyResult };
