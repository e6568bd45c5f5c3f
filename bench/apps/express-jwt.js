// Express + express-jwt + jwks-rsa (jsonwebtoken; signing keys cached by kid, no token cache).
import { createServer } from 'node:http';
import express from 'express';
import { expressjwt } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import {
  config,
  expressErrorHandler,
  helloBody,
  listenAndAnnounce,
  requireAuthConfig,
} from './_common.js';

const { issuer, jwksUri, audience } = requireAuthConfig();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(
  expressjwt({
    // The configuration from the jwks-rsa README: cache on (5 keys, 10 min).
    secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true }),
    algorithms: config.algorithms,
    audience,
    issuer,
  }),
);
app.get('/hello', (req, res) => {
  res.json(helloBody(req.auth?.sub));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
