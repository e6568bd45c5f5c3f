// Express + express-oauth2-jwt-bearer with its DPoP mode (beside Bearer).
// Proofs are minted when the run starts, so iatOffset is an hour. (It keeps
// no record of proof jtis: a replayed proof passes.)
import { createServer } from 'node:http';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { expressErrorHandler, helloBody, listenAndAnnounce, requireAuthConfig } from './_common.js';

const { issuer, jwksUri, audience } = requireAuthConfig();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(auth({ issuer, jwksUri, audience, dpop: { enabled: true, iatOffset: 3600 } }));
app.get('/hello', (req, res) => {
  res.json(helloBody(req.auth?.payload?.sub));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
