import express from 'express';
import type { Express } from 'express';
import { jwksAuth, requiredScopes } from '@jwks-auth/express';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';

/** AFTER: the same API on @jwks-auth/express (same names: `requiredScopes`, `req.auth.payload`). */
export function buildApp({ issuer, audience }: AppConfig): Express {
  const app = express();

  app.use(jwksAuth({ issuer, audience }));

  app.get('/me', (req, res) => {
    res.json({ sub: req.auth?.payload.sub });
  });

  app.get('/messages', requiredScopes(MESSAGES_SCOPE), (_req, res) => {
    res.json({ messages: MESSAGES });
  });

  return app;
}
