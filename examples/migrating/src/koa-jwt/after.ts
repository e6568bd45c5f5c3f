import Koa from 'koa';
import { jwksAuth, requiredScopes } from '@jwks-auth/koa';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';
import { get } from './routes.js';

/** AFTER: the same API on @jwks-auth/koa. */
export function buildApp({ issuer, jwksUri, audience }: AppConfig): Koa {
  const app = new Koa();

  app.use(jwksAuth({ issuer, jwksUri, audience, algorithms: ['RS256'] }));

  app.use(
    get('/me', (ctx) => {
      ctx.body = { sub: ctx.state.auth?.payload.sub };
    }),
  );

  app.use(
    get('/messages', requiredScopes(MESSAGES_SCOPE), (ctx) => {
      ctx.body = { messages: MESSAGES };
    }),
  );

  return app;
}
