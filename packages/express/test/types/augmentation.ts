// Compile-time test of the public types (root `typecheck`, and test/types.test.ts
// runs tsc on it alone). Every `@ts-expect-error` must stay an error.
import express from 'express';
import type { Request, Response } from 'express';
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  jwksAuth,
  jwksAuthErrorHandler,
  requiredScopes,
} from '@jwks-auth/express';
import type { AuthenticatedRequest, VerifyResult } from '@jwks-auth/express';

const issuer = 'https://id.example.test/';
const app = express();
const auth = jwksAuth({ issuer, audience: 'api', getToken: (req) => req.get('x-token') });
app.use(auth);
void auth.verifier.warmup();

app.get(
  '/me',
  requiredScopes('read'),
  requiredScopes(['read', 'write'], { any: true }),
  claimEquals('org', 'acme'),
  claimIncludes('roles', 'admin', 'ops'),
  claimCheck((payload) => payload.sub !== undefined, 'sub required'),
  (req: Request, res: Response) => {
    const result: VerifyResult | undefined = req.auth;
    const sub: string | undefined = req.auth?.payload.sub;
    res.json({ result, sub });
  },
);
app.use(jwksAuthErrorHandler());

app.get('/wrong', (req, res) => {
  // @ts-expect-error auth is undefined when auth is optional and no token came
  const _sure: VerifyResult = req.auth;
  // @ts-expect-error the verified result is read-only
  req.auth!.token = 'other';
  // @ts-expect-error auth is a VerifyResult
  req.auth = 'token';
  const narrowed = req as AuthenticatedRequest;
  const _token: string = narrowed.auth.token;
  res.end();
});

// @ts-expect-error audience is required (null opts out explicitly)
jwksAuth({ issuer });
// @ts-expect-error getToken receives the Express request
jwksAuth({ issuer, audience: null, getToken: (req: { other: string }) => req.other });
// @ts-expect-error unknown option
jwksAuth({ issuer, audience: null, clockSkew: 5 });
