import express from 'express';
import type { Express } from 'express';
import { jwksAuth, jwksAuthErrorHandler, requiredScopes } from '@jwks-auth/express';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';

/** AFTER: the same API on @jwks-auth/express. */
export function buildApp({ issuer, jwksUri, audience }: AppConfig): Express {
  const app = express();

  app.use(jwksAuth({ issuer, jwksUri, audience, algorithms: ['RS256'] }));

  app.get('/me', (req, res) => {
    res.json({ sub: req.auth?.payload.sub });
  });

  app.get('/messages', requiredScopes(MESSAGES_SCOPE), (_req, res) => {
    res.json({ messages: MESSAGES });
  });

  // RFC 6750 JSON bodies; status and WWW-Authenticate come from the error itself.
  app.use(jwksAuthErrorHandler());

  return app;
}
