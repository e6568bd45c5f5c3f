// Express + jwks-auth with DPoP on (beside Bearer): every request verifies its
// proof (signature, htm/htu, ath, cnf.jkt, jti replay); the access token's
// verdict comes from the cache. Proofs are minted when the run starts, so
// maxProofAge is an hour; the Host the client sends (bench.local) is the
// origin the proofs name.
import { createServer } from 'node:http';
import express from 'express';
import { jwksAuth } from '@jwks-auth/express';
import { expressErrorHandler, helloBody, listenAndAnnounce, requireAuthConfig } from './_common.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(jwksAuth({ issuer, jwksUri, audience, algorithms, dpop: { maxProofAge: 3600 } }));
app.get('/hello', (req, res) => {
  res.json(helloBody(req.auth?.payload?.sub));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
