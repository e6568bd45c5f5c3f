// Compile-time test of the public types (root `typecheck`, and test/types.test.ts
// runs tsc on it alone). Every `@ts-expect-error` must stay an error.
import Koa from 'koa';
import { claimCheck, claimEquals, claimIncludes, jwksAuth, requiredScopes } from '@jwks-auth/koa';
import type { VerifyResult } from '@jwks-auth/koa';

const issuer = 'https://id.example.test/';
const app = new Koa();
const auth = jwksAuth({ issuer, audience: 'api', getToken: (ctx) => ctx.cookies.get('token') });
app.use(auth);
void auth.verifier.warmup();
app.use(requiredScopes('read'));
app.use(requiredScopes(['read', 'write'], { any: true }));
app.use(claimEquals('org', 'acme'));
app.use(claimIncludes('roles', 'admin'));
app.use(claimCheck((payload) => payload.sub !== undefined, 'sub required'));

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

// @ts-expect-error audience is required (null opts out explicitly)
jwksAuth({ issuer });
// @ts-expect-error getToken receives the Koa context
jwksAuth({ issuer, audience: null, getToken: (ctx: { other: string }) => ctx.other });
