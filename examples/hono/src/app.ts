import { Hono } from 'hono';
import { jwksAuth, requiredScopes } from '@jwks-auth/hono';
import type { JwksAuthEnv, JwksAuthOptions } from '@jwks-auth/hono';

/** What `GET /api/messages` returns to a token with the `read:messages` scope. */
export const MESSAGES = [
  { id: 1, text: 'Hello from a protected API' },
  { id: 2, text: 'Only tokens with the read:messages scope can read this' },
] as const;

/**
 * Builds the example API: `GET /public` is open, everything under `/api`
 * needs a valid bearer token, and `GET /api/messages` also needs the
 * `read:messages` scope. The same app runs on Node (`@hono/node-server`, see
 * main.ts), Bun and Deno (`export default app`) and Cloudflare Workers.
 *
 * @example
 * const app = createApp({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function createApp(options: JwksAuthOptions): Hono<JwksAuthEnv> {
  const app = new Hono<JwksAuthEnv>();

  app.get('/public', (c) => c.json({ message: 'Public: no token needed' }));

  // Every /api route requires a valid token; c.var.auth holds it. Failures
  // are answered as RFC 6750 JSON with their WWW-Authenticate header.
  app.use('/api/*', jwksAuth(options));

  app.get('/api/me', (c) => c.json({ claims: c.var.auth?.payload }));

  app.get('/api/messages', requiredScopes('read:messages'), (c) => c.json({ messages: MESSAGES }));

  return app;
}
