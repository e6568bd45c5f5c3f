// Express + jwks-auth (@jwks-auth/express), default options.
import { createServer } from 'node:http';
import express from 'express';
import { jwksAuth } from '@jwks-auth/express';
import { expressErrorHandler, helloBody, listenAndAnnounce, requireAuthConfig } from './_common.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(jwksAuth({ issuer, jwksUri, audience, algorithms }));
app.get('/hello', (req, res) => {
  res.json(helloBody(req.auth?.payload?.sub ?? req.auth?.sub));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
