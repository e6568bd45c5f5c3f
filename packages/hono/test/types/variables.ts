// Compile-time test of the public types: test/types.test.ts runs tsc on this
// file alone (the root `typecheck` compiles it too). Every `@ts-expect-error`
// must stay an error.
import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  isJwksAuthError,
  jwksAuth,
  requiredAuthentication,
  requiredScopes,
} from '@jwks-auth/hono';
import type { JwksAuthEnv, JwksAuthMiddleware, VerifyResult } from '@jwks-auth/hono';

const issuer = 'https://id.example.test/';
const auth: JwksAuthMiddleware = jwksAuth({
  issuer,
  audience: 'api',
  getToken: (c) => c.req.header('x-token') ?? c.req.query('token'),
});
// What the issue names: a Hono middleware typed with the adapter's Env.
const asMiddleware: MiddlewareHandler<JwksAuthEnv> = auth;
void asMiddleware;
void auth.verifier.warmup();

// An app typed as a whole.
const app = new Hono<JwksAuthEnv>();
app.use('/api/*', auth);
app.get('/api/me', (c) => {
  const result: VerifyResult | undefined = c.var.auth;
  const same: VerifyResult | undefined = c.get('auth');
  const sub: string | undefined = c.var.auth?.payload.sub;
  return c.json({ result, same, sub });
});

// An untyped app: the middleware brings `auth` to the handlers after it.
const plain = new Hono();
plain.get('/me', auth, (c) => c.json({ sub: c.var.auth?.payload.sub }));
plain.post('/orders', auth, requiredScopes('write:orders'), (c) =>
  c.json({ by: c.get('auth')?.payload.sub }, 201),
);
const chained = new Hono().use(auth).get('/me', (c) => c.text(c.var.auth?.token ?? ''));
void chained;

const guards = [
  requiredScopes('read'),
  requiredScopes(['read', 'write'], { any: true }),
  requiredAuthentication({ acrValues: ['urn:example:mfa'], maxAge: 300 }),
  claimEquals('org', 'acme'),
  claimIncludes('roles', 'admin', 'ops'),
  claimCheck((payload) => payload.sub !== undefined, 'sub required'),
  claimCheck(async (payload) => payload.sub !== undefined, 'sub required'),
  auth.requiredScopes('read'),
  auth.requiredAuthentication({ maxAge: 60 }),
] as const;
for (const guard of guards) app.use('/guarded/*', guard);

// Errors thrown to app.onError with { errors: 'throw' }.
app.use('/strict/*', jwksAuth({ issuer, audience: null }, { errors: 'throw' }));
app.onError((err, c) => {
  if (err instanceof HTTPException && isJwksAuthError(err.cause)) return err.getResponse();
  return c.text('oops', 500);
});

app.get('/wrong', (c) => {
  // @ts-expect-error auth is undefined when auth is optional and no token came
  const _sure: VerifyResult = c.var.auth;
  // @ts-expect-error the verified result is read-only
  c.var.auth!.token = 'other';
  // @ts-expect-error auth is a VerifyResult
  c.set('auth', 'token');
  return c.body(null);
});

// @ts-expect-error getToken receives Hono's Context
jwksAuth({ issuer, audience: null, getToken: (req: { other: string }) => req.other });
// @ts-expect-error unknown option
jwksAuth({ issuer, audience: null, clockSkew: 5 });
// @ts-expect-error errors is 'respond' or 'throw'
jwksAuth({ issuer, audience: null }, { errors: 'log' });
// getToken may be async and reads the typed Context.
jwksAuth({
  issuer,
  audience: null,
  getToken: async (c: Context) => Promise.resolve(c.req.header('cookie')),
});
