// Compile-time test of the public types. test/types.test.ts runs tsc on this file
// alone twice: with types/tsconfig.json against @types/koa 3, and with
// types-koa2/tsconfig.json, which maps 'koa' (the adapter's own imports and its
// `declare module 'koa'` augmentation included) to the `@types/koa2` alias,
// against @types/koa 2; each time it checks which @types were loaded. The root
// `typecheck` compiles it too. Every `@ts-expect-error` must stay an error.
import Koa from 'koa';
import type { Context, Middleware, Next } from 'koa';
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  isJwksAuthError,
  jwksAuth,
  requiredScopes,
} from '@jwks-auth/koa';
import type { JwksAuthMiddleware, VerifyResult } from '@jwks-auth/koa';

const issuer = 'https://id.example.test/';
const app = new Koa();
app.use(async (ctx: Context, next: Next) => {
  try {
    await next();
  } catch (error) {
    if (!isJwksAuthError(error)) throw error;
    ctx.status = error.status;
    ctx.set(error.headers);
    ctx.body = { error: error.error ?? 'unauthorized' };
  }
});
const auth: JwksAuthMiddleware = jwksAuth({
  issuer,
  audience: 'api',
  getToken: (ctx) => ctx.cookies.get('token') ?? ctx.get('x-token'),
});
app.use(auth);
void auth.verifier.warmup();
// The helpers are plain Koa middleware.
const guards: Middleware[] = [
  requiredScopes('read'),
  requiredScopes(['read', 'write'], { any: true }),
  claimEquals('org', 'acme'),
  claimIncludes('roles', 'admin'),
  claimCheck((payload) => payload.sub !== undefined, 'sub required'),
  claimCheck(async (payload) => payload.sub !== undefined, 'sub required'),
];
for (const guard of guards) app.use(guard);

app.use((ctx) => {
  const result: VerifyResult | undefined = ctx.state.auth;
  const sub: string | undefined = ctx.state.auth?.payload.sub;
  ctx.body = { result, sub };
  // @ts-expect-error auth is undefined when auth is optional and no token came
  const _sure: VerifyResult = ctx.state.auth;
  // @ts-expect-error the verified result is read-only
  ctx.state.auth!.token = 'other';
  // @ts-expect-error auth is a VerifyResult
  ctx.state.auth = 'token';
});

// audience is optional in the type (`protectedResource` may name it); without either, jwksAuth throws.
// @ts-expect-error protectedResource needs its resource
jwksAuth({ issuer, protectedResource: { resourceName: 'API' } });
// @ts-expect-error getToken receives the Koa context
jwksAuth({ issuer, audience: null, getToken: (ctx: { other: string }) => ctx.other });
// @ts-expect-error unknown option
jwksAuth({ issuer, audience: null, clockSkew: 5 });
