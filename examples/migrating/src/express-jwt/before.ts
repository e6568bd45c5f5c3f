import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Response } from 'express';
import { expressjwt } from 'express-jwt';
import type { Request as JWTRequest } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';

/** express-jwt has no scope helper: the usual hand-written check. */
function requireScope(scope: string) {
  return (req: JWTRequest, res: Response, next: NextFunction) => {
    const granted = typeof req.auth?.scope === 'string' ? req.auth.scope.split(' ') : [];
    if (granted.includes(scope)) next();
    else res.status(403).send('insufficient scope');
  };
}

/** BEFORE: express-jwt 8 + jwks-rsa 4, set up as their READMEs show. */
export function buildApp({ issuer, jwksUri, audience }: AppConfig): Express {
  const app = express();

  app.use(
    expressjwt({
      secret: jwksRsa.expressJwtSecret({
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

  // express-jwt leaves the bare payload on req.auth.
  app.get('/me', (req: JWTRequest, res) => {
    res.json({ sub: req.auth?.sub });
  });

  app.get('/messages', requireScope(MESSAGES_SCOPE), (_req, res) => {
    res.json({ messages: MESSAGES });
  });

  // express-jwt's README error handler.
  const onError: ErrorRequestHandler = (err: Error, _req, res, next) => {
    if (err.name === 'UnauthorizedError') res.status(401).send('invalid token...');
    else next(err);
  };
  app.use(onError);

  return app;
}
