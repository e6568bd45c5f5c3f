import Koa from 'koa';
import type { Middleware } from 'koa';
import jwt from 'koa-jwt';
import jwksRsa from 'jwks-rsa';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';
import { get } from './routes.js';

/** The claims koa-jwt leaves on `ctx.state.user` (the bare payload). */
interface Claims {
  sub?: string;
  scope?: string;
}

/** koa-jwt has no scope helper: the usual hand-written check. */
function requireScope(scope: string): Middleware {
  return async (ctx, next) => {
    const granted = (ctx.state.user as Claims | undefined)?.scope?.split(' ') ?? [];
    if (!granted.includes(scope)) ctx.throw(403, 'insufficient scope');
    await next();
  };
}

/** BEFORE: koa-jwt 4 + jwks-rsa 4, set up as their READMEs show. */
export function buildApp({ issuer, jwksUri, audience }: AppConfig): Koa {
  const app = new Koa();

  app.use(
    jwt({
      secret: jwksRsa.koaJwtSecret({
        jwksUri,
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 5,
      }),
      audience,
      issuer,
      algorithms: ['RS256'],
    }),
  );

  app.use(
    get('/me', (ctx) => {
      ctx.body = { sub: (ctx.state.user as Claims).sub };
    }),
  );

  app.use(
    get('/messages', requireScope(MESSAGES_SCOPE), (ctx) => {
      ctx.body = { messages: MESSAGES };
    }),
  );

  return app;
}
