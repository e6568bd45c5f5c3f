import express from 'express';
import type { Express } from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';

/** BEFORE: express-oauth2-jwt-bearer 1.x, set up as its README shows. */
export function buildApp({ issuer, audience }: AppConfig): Express {
  const app = express();

  app.use(auth({ issuerBaseURL: issuer, audience }));

  app.get('/me', (req, res) => {
    res.json({ sub: req.auth?.payload.sub });
  });

  app.get('/messages', requiredScopes(MESSAGES_SCOPE), (_req, res) => {
    res.json({ messages: MESSAGES });
  });

  return app;
}
