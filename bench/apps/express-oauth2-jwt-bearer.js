// Express + express-oauth2-jwt-bearer (Auth0; jose createRemoteJWKSet + jwtVerify, no token cache).
import { createServer } from 'node:http';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { expressErrorHandler, helloBody, listenAndAnnounce, requireAuthConfig } from './_common.js';

const { issuer, jwksUri, audience } = requireAuthConfig();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
// issuer + jwksUri (no discovery) so every app reads the same JWKS URL; library
// defaults otherwise (cacheMaxAge 10 min, cooldown 30 s, clockTolerance 5 s).
app.use(auth({ issuer, jwksUri, audience }));
app.get('/hello', (req, res) => {
  res.json(helloBody(req.auth?.payload?.sub));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
