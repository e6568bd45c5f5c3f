import Koa from 'koa';
import type { Middleware } from 'koa';
import { jwksAuth, requiredScopes } from '@jwks-auth/koa';
import type { JwksAuthOptions } from '@jwks-auth/koa';

/** What `GET /api/messages` returns to a token with the `read:messages` scope. */
export const MESSAGES = [
  { id: 1, text: 'Hello from a protected API' },
  { id: 2, text: 'Only tokens with the read:messages scope can read this' },
] as const;

/**
 * Runs `handlers` in order for `GET path` and lets every other request go on
 * down the stack: the part of a router (such as @koa/router) this example needs.
 */
function get(path: string, ...handlers: Middleware[]): Middleware {
  return (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== path) return next();
    const run = async (i: number): Promise<void> => {
      await handlers[i]?.(ctx, () => run(i + 1));
    };
    return run(0);
  };
}

/**
 * Builds the example API without listening: `GET /public` is open, everything
 * after `jwksAuth()` needs a valid bearer token, and `GET /api/messages` also
 * needs the `read:messages` scope. Koa's `ctx.onerror` renders rejections with
 * their status and `WWW-Authenticate` header.
 *
 * @example
 * const app = createApp({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * app.listen(3000);
 */
export function createApp(options: JwksAuthOptions): Koa {
  const app = new Koa();

  // Mounted before jwksAuth(), so it never sees a token check.
  app.use(
    get('/public', (ctx) => {
      ctx.body = { message: 'Public: no token needed' };
    }),
  );

  // Every middleware below requires a valid token; ctx.state.auth holds it.
  app.use(jwksAuth(options));

  app.use(
    get('/api/me', (ctx) => {
      ctx.body = { claims: ctx.state.auth?.payload };
    }),
  );

  app.use(
    get('/api/messages', requiredScopes('read:messages'), (ctx) => {
      ctx.body = { messages: MESSAGES };
    }),
  );

  return app;
}
