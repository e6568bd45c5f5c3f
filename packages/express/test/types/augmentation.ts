// Compile-time test of the public types. test/types.test.ts runs tsc on this file
// alone twice: with types/tsconfig.json against @types/express 5, and with
// types-express4/tsconfig.json, which maps 'express' (the adapter's own imports
// included) to the `@types/express4` alias, against @types/express 4; each time it
// checks which @types were loaded. The root `typecheck` compiles it too.
// Every `@ts-expect-error` must stay an error.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  isJwksAuthError,
  jwksAuth,
  jwksAuthErrorHandler,
  requiredScopes,
} from '@jwks-auth/express';
import type { AuthenticatedRequest, JwksAuthMiddleware, VerifyResult } from '@jwks-auth/express';

const issuer = 'https://id.example.test/';
const app = express();
const auth: JwksAuthMiddleware = jwksAuth({
  issuer,
  audience: 'api',
  getToken: (req) => req.get('x-token') ?? req.header('authorization'),
});
app.use(auth);
void auth.verifier.warmup();

const guards = [
  requiredScopes('read'),
  requiredScopes(['read', 'write'], { any: true }),
  claimEquals('org', 'acme'),
  claimIncludes('roles', 'admin', 'ops'),
  claimCheck((payload) => payload.sub !== undefined, 'sub required'),
  claimCheck(async (payload) => payload.sub !== undefined, 'sub required'),
] as const;
const me = (req: Request, res: Response) => {
  const result: VerifyResult | undefined = req.auth;
  const sub: string | undefined = req.auth?.payload.sub;
  res.json({ result, sub });
};
// The same guards on an app route and on a Router route.
app.get('/me', ...guards, me);
const router = express.Router();
router.get('/me', ...guards, me);
app.use('/api', router);
app.route('/orders').post(requiredScopes('write:orders'), (req, res) => {
  res.status(201).json({ by: (req as AuthenticatedRequest).auth.payload.sub });
});
app.use(jwksAuthErrorHandler());
app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
  if (isJwksAuthError(err)) res.status(err.status).set(err.headers).end();
  else next(err);
});

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

// audience is optional in the type (`protectedResource` may name it); without either, jwksAuth throws.
// @ts-expect-error protectedResource needs its resource
jwksAuth({ issuer, protectedResource: { resourceName: 'API' } });
// @ts-expect-error getToken receives the Express request
jwksAuth({ issuer, audience: null, getToken: (req: { other: string }) => req.other });
// @ts-expect-error unknown option
jwksAuth({ issuer, audience: null, clockSkew: 5 });
// @ts-expect-error the error handler takes four arguments: it is no RequestHandler
const _notARequestHandler: RequestHandler = jwksAuthErrorHandler();
