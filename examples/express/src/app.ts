import express from 'express';
import type { Express } from 'express';
import { jwksAuth, jwksAuthErrorHandler, requiredScopes } from '@jwks-auth/express';
import type { JwksAuthOptions } from '@jwks-auth/express';

/** What `GET /api/messages` returns to a token with the `read:messages` scope. */
export const MESSAGES = [
  { id: 1, text: 'Hello from a protected API' },
  { id: 2, text: 'Only tokens with the read:messages scope can read this' },
] as const;

/**
 * Builds the example API without listening: `GET /public` is open, everything
 * after `jwksAuth()` needs a valid bearer token, and `GET /api/messages` also
 * needs the `read:messages` scope.
 *
 * @example
 * const app = createApp({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * app.listen(3000);
 */
export function createApp(options: JwksAuthOptions): Express {
  const app = express();

  // Declared before jwksAuth(), so it never sees a token check.
  app.get('/public', (_req, res) => {
    res.json({ message: 'Public: no token needed' });
  });

  // Every route below requires a valid token; req.auth holds it.
  app.use(jwksAuth(options));

  app.get('/api/me', (req, res) => {
    res.json({ claims: req.auth?.payload });
  });

  app.get('/api/messages', requiredScopes('read:messages'), (_req, res) => {
    res.json({ messages: MESSAGES });
  });

  // 401/403/503 as RFC 6750 JSON with their WWW-Authenticate header. Without
  // it, Express's own handler sends the same status and headers with an HTML
  // body (and logs each rejection as an error).
  app.use(jwksAuthErrorHandler());

  return app;
}
